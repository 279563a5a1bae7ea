package io.plumbline.judge.intake;

import org.awaitility.Awaitility;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.plumbline.judge.normalize.NormalizedSpan;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Stands where assembly will stand: takes what the intake hands on, keeps it by trace id so tests can observe what
 * was decoded and normalized. (Not a stand-in for infrastructure: Kafka and the receivers are real.)
 */
@ApplicationScoped
public class RecordedSpans implements NormalizedSpanHandler {

    private final Map<String, List<NormalizedSpan>> byTrace = new ConcurrentHashMap<>();

    @Override
    public Uni<Void> handle(List<NormalizedSpan> spans) {
        for (NormalizedSpan span : spans) {
            byTrace.computeIfAbsent(span.traceId(), t -> new CopyOnWriteArrayList<>()).add(span);
        }
        return Uni.createFrom().voidItem();
    }

    /** Waits until {@code count} spans of the trace were handed on; returns them in arrival order. */
    public List<NormalizedSpan> await(String traceId, int count) {
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> of(traceId).size() >= count);
        return of(traceId);
    }

    public List<NormalizedSpan> of(String traceId) {
        return List.copyOf(byTrace.getOrDefault(traceId, List.of()));
    }
}
