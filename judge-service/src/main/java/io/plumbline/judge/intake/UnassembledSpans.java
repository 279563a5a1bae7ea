package io.plumbline.judge.intake;

import java.util.List;

import io.plumbline.judge.normalize.NormalizedSpan;
import io.quarkus.arc.DefaultBean;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The handler until assembly exists: spans are decoded, normalized and counted, then let go. Replaced by declaring
 * another {@link NormalizedSpanHandler} bean.
 */
@DefaultBean
@ApplicationScoped
public class UnassembledSpans implements NormalizedSpanHandler {

    @Override
    public Uni<Void> handle(List<NormalizedSpan> spans) {
        return Uni.createFrom().voidItem();
    }
}
