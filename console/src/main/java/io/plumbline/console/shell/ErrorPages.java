package io.plumbline.console.shell;

import io.grpc.StatusRuntimeException;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriBuilder;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** What a page shows when a service refuses or fails: the service's reason in words, never a stack trace. */
public class ErrorPages {

    private static final Logger LOG = Logger.getLogger(ErrorPages.class);

    @CheckedTemplate(basePath = "shell")
    static class Templates {
        static native TemplateInstance error(String title, String message, int status);
    }

    @ServerExceptionMapper
    public Response signIn(SignInRequired e, UriInfo uri) {
        String next = uri.getRequestUri().getRawPath()
                + (uri.getRequestUri().getRawQuery() == null ? "" : "?" + uri.getRequestUri().getRawQuery());
        return Response.seeOther(UriBuilder.fromPath("/sign-in").queryParam("next", next)
                .queryParam("reason", e.getMessage()).build()).build();
    }

    @ServerExceptionMapper
    public Response serviceFailed(StatusRuntimeException e) {
        ServiceError error = ServiceError.of(e);
        int status = switch (e.getStatus().getCode()) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case FAILED_PRECONDITION -> 412;
            case PERMISSION_DENIED -> 403;
            case UNAUTHENTICATED -> 401;
            case UNAVAILABLE, DEADLINE_EXCEEDED -> 503;
            default -> 502;
        };
        if (status >= 500) {
            LOG.warnf("A service call failed: %s", e.getStatus());
        }
        String page = Templates.error("Something went wrong", error.message(), status).render();
        return Response.status(status).type(MediaType.TEXT_HTML_TYPE.withCharset("UTF-8")).entity(page).build();
    }
}
