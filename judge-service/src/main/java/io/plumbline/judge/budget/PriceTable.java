package io.plumbline.judge.budget;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithParentName;
import java.util.Map;

/**
 * What judge models cost, in US dollars per million tokens, by model name as configured in the metric's judge model
 * ({@code plumbline.pricing."gpt-4o-mini".input-per-million=0.15}). A model without a price costs 0.
 */
@ConfigMapping(prefix = "plumbline.pricing")
public interface PriceTable {

    @WithParentName
    Map<String, Price> models();

    /** The price of one model. */
    interface Price {
        /** Dollars per million prompt (input) tokens. */
        double inputPerMillion();

        /** Dollars per million completion (output) tokens. */
        double outputPerMillion();
    }

    default double cost(String model, long promptTokens, long completionTokens) {
        Price price = models().get(model);
        if (price == null) {
            return 0;
        }
        return (promptTokens * price.inputPerMillion() + completionTokens * price.outputPerMillion()) / 1_000_000;
    }
}
