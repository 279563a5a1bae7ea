package io.plumbline.console.shell;

import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;

/** Sign in with a reviewer API key, sign out; the home page sends people to their review queues. */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class SignInResource {

    @CheckedTemplate(basePath = "shell")
    static class Templates {
        static native TemplateInstance signIn(String next, String reason, String error);
    }

    @Inject
    Caller caller;

    @Inject
    ConsoleConfig config;

    @GET
    public Response home() {
        return Response.seeOther(URI.create("/review")).build();
    }

    @GET
    @Path("sign-in")
    public TemplateInstance signInPage(@QueryParam("next") String next, @QueryParam("reason") String reason) {
        return Templates.signIn(safeNext(next), reason, null);
    }

    @POST
    @Path("sign-in")
    @jakarta.ws.rs.Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response signIn(@FormParam("key") String key, @FormParam("next") String next) {
        if (key == null || key.isBlank()) {
            return Response.status(400).entity(Templates.signIn(safeNext(next), null, "Enter your API key.")).build();
        }
        try {
            caller.lookUp(key.strip());
        } catch (SignInRequired e) {
            return Response.status(401).entity(Templates.signIn(safeNext(next), null, e.getMessage())).build();
        }
        NewCookie cookie = new NewCookie.Builder(Caller.COOKIE).value(key.strip()).path("/").httpOnly(true)
                .secure(config.secureCookie()).sameSite(NewCookie.SameSite.STRICT).build();
        return Response.seeOther(URI.create(safeNext(next))).cookie(cookie).build();
    }

    @POST
    @Path("sign-out")
    public Response signOut() {
        NewCookie expired = new NewCookie.Builder(Caller.COOKIE).value("").path("/").maxAge(0).httpOnly(true).build();
        return Response.seeOther(URI.create("/sign-in")).cookie(expired).build();
    }

    /** Only paths of this console: a sign-in link must not send people elsewhere. */
    private static String safeNext(String next) {
        return next != null && next.startsWith("/") && !next.startsWith("//") ? next : "/review";
    }
}
