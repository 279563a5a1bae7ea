package io.plumbline.judge.normalize;

import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The application's one {@link SpanNormalizer}, configured from {@link NormalizeConfig}. */
public class SpanNormalizerProducer {

    @Produces
    @Singleton
    SpanNormalizer spanNormalizer(NormalizeConfig config) {
        return new SpanNormalizer(config.maxTextLength(), config.projectAttribute(), config.defaultProject());
    }
}
