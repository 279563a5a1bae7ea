package io.plumbline.judge.intake;

import java.util.List;

import io.plumbline.judge.normalize.NormalizedSpan;
import io.smallrye.mutiny.Uni;

/**
 * Where the intake hands the normalized spans of one Kafka record: the next stage (assembly of span, trace and
 * session records). The record's offset is committed only after the returned Uni completes; a failure sends the record
 * to the dead-letter topic. Must not block.
 */
public interface NormalizedSpanHandler {

    Uni<Void> handle(List<NormalizedSpan> spans);
}
