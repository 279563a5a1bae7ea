package io.plumbline.console.shell;

import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A refusal or failure of one of the services, as a person reads it: a sentence for the page and, when the service
 * named fields (a {@code google.rpc.BadRequest} in the status details), one message per form field.
 */
public record ServiceError(String message, Map<String, String> fields) {

    public static ServiceError of(StatusRuntimeException e) {
        Map<String, String> fields = new LinkedHashMap<>();
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        if (details != null) {
            for (var any : details.getDetailsList()) {
                if (any.is(BadRequest.class)) {
                    try {
                        for (var violation : any.unpack(BadRequest.class).getFieldViolationsList()) {
                            fields.merge(violation.getField(), violation.getDescription(), (a, b) -> a + "; " + b);
                        }
                    } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
                        // The description below still says what went wrong.
                    }
                }
            }
        }
        return new ServiceError(sentence(e.getStatus()), fields);
    }

    /** The message for one field, or null: templates show it next to the input. */
    public String field(String name) {
        return fields.get(name);
    }

    private static String sentence(Status status) {
        String description = status.getDescription() == null ? "" : status.getDescription();
        String prefix = switch (status.getCode()) {
            case INVALID_ARGUMENT -> "Not accepted: ";
            case NOT_FOUND -> "Not found: ";
            case ALREADY_EXISTS -> "Already exists: ";
            case FAILED_PRECONDITION -> "Not possible now: ";
            case ABORTED -> "Someone else changed this meanwhile, reload and try again: ";
            case PERMISSION_DENIED -> "Not allowed: ";
            case UNAUTHENTICATED -> "Sign in again: ";
            case UNAVAILABLE, DEADLINE_EXCEEDED -> "The service did not answer, try again in a moment";
            case UNIMPLEMENTED -> "This service does not offer that yet";
            default -> "The service failed (" + status.getCode() + "): ";
        };
        boolean showDescription = switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, UNIMPLEMENTED -> false;
            default -> true;
        };
        return showDescription ? prefix + description : prefix + ".";
    }
}
