package io.plumbline.judge.judging;

import io.micrometer.core.instrument.MeterRegistry;
import io.plumbline.judge.normalize.NormalizedSpan;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Judges span-level records as they arrive (from the consumer, before the Kafka record's offset is committed), with
 * the span metrics whose bindings select them ({@link RecordJudging}). A redelivered record is not judged again: its
 * evaluations are found stored. Spans without GenAI content are skipped and counted.
 */
@ApplicationScoped
public class SpanJudging {

    private final RecordJudging judging;
    private final MeterRegistry meters;
    private final int concurrency;

    SpanJudging(RecordJudging judging, MeterRegistry meters,
            @ConfigProperty(name = "plumbline.judging.concurrency", defaultValue = "16") int concurrency) {
        this.judging = judging;
        this.meters = meters;
        this.concurrency = concurrency;
    }

    public Uni<Void> judge(List<NormalizedSpan> spans) {
        List<RecordJudging.Work> due = spans.stream().flatMap(span -> {
            if (!span.hasGenAiContent()) {
                meters.counter("plumbline.judge.spans.skipped", "reason", "no_genai_content").increment();
                return java.util.stream.Stream.empty();
            }
            return judging.due(span.snapshot()).stream();
        }).toList();
        if (due.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return Multi.createFrom().iterable(due).onItem().transformToUni(judging::judge).merge(concurrency)
                .collect().last().replaceWithVoid();
    }
}
