package io.plumbline.common.api;

import io.smallrye.mutiny.Uni;
import java.util.function.Supplier;

/** How the gRPC and REST adapters of every service call their services. */
public final class ServiceCalls {

    private ServiceCalls() {
    }

    /**
     * Runs a service call so that a refusal thrown before its Uni exists still fails the Uni, and database refusals a
     * caller can act on (a unique name taken concurrently) arrive as API errors.
     */
    public static <T> Uni<T> call(Supplier<Uni<T>> serviceCall) {
        return Uni.createFrom().<T>deferred(() -> serviceCall.get()).onFailure().transform(DatabaseErrors::translate);
    }
}
