package io.plumbline.alignment.run;

import io.smallrye.mutiny.Uni;
import java.util.function.Supplier;

/** gRPC clients answer on their own threads; reactive sessions must go on on the caller's Vert.x context. */
final class Contexts {

    private Contexts() {
    }

    static <T> Uni<T> onCallerContext(Supplier<Uni<T>> call) {
        return Uni.createFrom().deferred(() -> {
            io.vertx.core.Context caller = io.vertx.core.Vertx.currentContext();
            Uni<T> uni = call.get();
            return caller == null ? uni : uni.emitOn(task -> caller.runOnContext(ignored -> task.run()));
        });
    }
}
