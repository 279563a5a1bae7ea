package io.plumbline.common.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.http.client.HttpMethod;
import dev.langchain4j.http.client.HttpRequest;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The transport LangChain4j calls providers with, against a local HTTPS server whose certificate (for {@code localhost},
 * in {@code tls/}) no JVM trusts: TLS is verified, host name included, and a provider's own trusted certificates let
 * it through; refusals keep their status and Retry-After; silence is a timeout.
 */
class ProviderHttpClientTest {

    static Vertx vertx;
    static HttpServer server;
    static String certificate;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setSsl(true)
                        .setKeyCertOptions(new PfxOptions().setPath(resource("tls/provider.p12")).setPassword("plumbline")))
                .requestHandler(request -> request.body().onSuccess(body -> {
                    switch (request.path()) {
                        case "/v1/chat/completions" -> request.response().putHeader("content-type", "application/json")
                                .end("{\"echo\":" + body + ",\"auth\":\"" + request.getHeader("authorization") + "\"}");
                        case "/limited" -> request.response().setStatusCode(429).putHeader("retry-after", "2")
                                .end("{\"error\":\"slow down\"}");
                        case "/silent" -> { } // never answers
                        default -> request.response().setStatusCode(404).end();
                    }
                }))
                .listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        certificate = resource("tls/provider-cert.pem");
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void aProviderWhoseCertificateIsTrustedAnswersWithItsHeadersAndBody() {
        var response = client(Optional.of(certificate), Duration.ofSeconds(5))
                .execute(post("localhost", "/v1/chat/completions"));
        assertEquals(200, response.statusCode());
        assertEquals("{\"echo\":{\"model\":\"m\"},\"auth\":\"Bearer sk-test\"}", response.body());
        assertEquals(List.of("application/json"), response.headers().get("content-type"));
    }

    @Test
    void aCertificateTheJvmDoesNotTrustIsRefusedAndSaysWhy() {
        var refused = assertThrows(ProviderHttpException.class, () -> client(Optional.empty(), Duration.ofSeconds(5))
                .execute(post("localhost", "/v1/chat/completions")));
        assertEquals(503, refused.statusCode(), "retryable: the connection failed");
        assertTrue(refused.getMessage().contains("certification path"), refused.getMessage());
    }

    @Test
    void aTrustedCertificateOfAnotherHostIsRefused() {
        var refused = assertThrows(ProviderHttpException.class, () -> client(Optional.of(certificate), Duration.ofSeconds(5))
                .execute(post("127.0.0.1", "/v1/chat/completions")));
        assertEquals(503, refused.statusCode());
        assertTrue(refused.getMessage().contains("No subject alternative names matching IP address 127.0.0.1"),
                refused.getMessage());
    }

    @Test
    void aRefusalKeepsItsStatusBodyAndRetryAfter() {
        var limited = assertThrows(ProviderHttpException.class, () -> client(Optional.of(certificate), Duration.ofSeconds(5))
                .execute(post("localhost", "/limited")));
        assertEquals(429, limited.statusCode());
        assertEquals(Optional.of(Duration.ofSeconds(2)), limited.retryAfter());
        assertTrue(limited.getMessage().contains("slow down"), limited.getMessage());
    }

    @Test
    void aProviderThatDoesNotAnswerInTimeTimesOut() {
        long start = System.nanoTime();
        assertThrows(ProviderHttpClient.ProviderTimeoutException.class,
                () -> client(Optional.of(certificate), Duration.ofMillis(300)).execute(post("localhost", "/silent")));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the read timeout applies");
    }

    @Test
    void everyAnswerReachesItsCallerHoweverSoonItEnds() throws Exception {
        // answers that end at once, to callers on virtual threads: an answer whose handler came too late would be lost
        var client = client(Optional.of(certificate), Duration.ofSeconds(20));
        int calls = 2_000;
        List<Future<Integer>> statuses = new ArrayList<>();
        try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < calls; i++) {
                statuses.add(callers.submit(() -> client.execute(post("localhost", "/v1/chat/completions")).statusCode()));
            }
        }
        int answered = 0;
        for (Future<Integer> status : statuses) {
            answered += status.get() == 200 ? 1 : 0;
        }
        assertEquals(calls, answered);
    }

    private static ProviderHttpClient client(Optional<String> trust, Duration readTimeout) {
        return (ProviderHttpClient) new ProviderHttpClient.Builder(vertx, 4, trust).readTimeout(readTimeout).build();
    }

    private static HttpRequest post(String host, String path) {
        return HttpRequest.builder().method(HttpMethod.POST).url("https://" + host + ":" + server.actualPort() + path)
                .addHeader("Authorization", "Bearer sk-test").addHeader("Content-Type", "application/json")
                .body("{\"model\":\"m\"}").build();
    }

    private static String resource(String name) throws URISyntaxException {
        return Path.of(ProviderHttpClientTest.class.getClassLoader().getResource(name).toURI()).toString();
    }
}
