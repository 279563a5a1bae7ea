package io.plumbline.judge.intake;

import io.plumbline.judge.assembly.SpanAssembly;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;

import org.awaitility.Awaitility;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import io.plumbline.judge.normalize.NormalizedSpan;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Observes what the intake hands on (kept by trace id, so tests can check decoding and normalization), then hands it to
 * the assembly as production does. (Not a stand-in for infrastructure: Kafka and the receivers are real.) It keeps every
 * span it sees: a benchmark turns it off ({@code plumbline.test.record-spans=false}), or its memory and its copies would
 * be measured as the intake's.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class RecordedSpans implements NormalizedSpanHandler {

    private final SpanAssembly assembly;

    private final boolean recording;

    RecordedSpans(SpanAssembly assembly,
            @ConfigProperty(name = "plumbline.test.record-spans", defaultValue = "true") boolean recording) {
        this.assembly = assembly;
        this.recording = recording;
    }

    private final Map<String, List<NormalizedSpan>> byTrace = new ConcurrentHashMap<>();

    @Override
    public Uni<Void> handle(List<NormalizedSpan> spans) {
        for (NormalizedSpan span : recording ? spans : List.<NormalizedSpan>of()) {
            byTrace.computeIfAbsent(span.traceId(), t -> new CopyOnWriteArrayList<>()).add(span);
        }
        return assembly.handle(spans);
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
