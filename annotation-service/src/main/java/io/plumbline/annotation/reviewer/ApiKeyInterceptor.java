package io.plumbline.annotation.reviewer;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

/** Carries the {@code x-api-key} metadata of a gRPC call to {@link Callers} through the gRPC context. */
@ApplicationScoped
@GlobalInterceptor
public class ApiKeyInterceptor implements ServerInterceptor {

    public static final Metadata.Key<String> API_KEY_HEADER = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String key = headers.get(API_KEY_HEADER);
        Context context = Context.current().withValue(Callers.API_KEY, key == null ? "" : key);
        return Contexts.interceptCall(context, call, headers, next);
    }
}
