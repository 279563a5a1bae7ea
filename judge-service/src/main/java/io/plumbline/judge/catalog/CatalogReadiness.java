package io.plumbline.judge.catalog;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready once the metric catalog is loaded: before that the replica would judge nothing (spans wait in Kafka). */
@Readiness
@ApplicationScoped
public class CatalogReadiness implements HealthCheck {

    private final MetricCatalog catalog;

    CatalogReadiness(MetricCatalog catalog) {
        this.catalog = catalog;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("metric-catalog").status(catalog.isLoaded())
                .withData("source", catalog.isLoaded() ? "loaded" : "waiting for the metric-registry").build();
    }
}
