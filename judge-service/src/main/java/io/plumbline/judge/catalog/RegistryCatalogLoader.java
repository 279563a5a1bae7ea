package io.plumbline.judge.catalog;

import io.plumbline.proto.registry.v1.ListPublishedVersionsRequest;
import io.plumbline.proto.registry.v1.ListPublishedVersionsResponse;
import io.plumbline.proto.registry.v1.MetricWithVersion;
import io.plumbline.proto.registry.v1.MutinyMetricRegistryGrpc;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Loads every published metric version (built-ins and every project's) from the metric-registry's
 * {@code ListPublishedVersions} at start, then marks the {@link MetricCatalog} loaded. While the registry cannot be
 * reached it tries again with backoff, for as long as that lasts: spans wait in Kafka meanwhile, none is lost or judged
 * with an incomplete catalog. {@code plumbline.metrics} keeps the catalog current afterwards (and may deliver some of
 * the same states again: the catalog keeps the newest revision).
 */
@ApplicationScoped
public class RegistryCatalogLoader {

    private static final Logger LOG = Logger.getLogger(RegistryCatalogLoader.class);
    private static final int PAGE_SIZE = 500;

    private final MetricCatalog catalog;
    private final boolean enabled;

    @GrpcClient("registry")
    MutinyMetricRegistryGrpc.MutinyMetricRegistryStub registry;

    RegistryCatalogLoader(MetricCatalog catalog,
            @ConfigProperty(name = "plumbline.catalog.load-from-registry", defaultValue = "true") boolean enabled) {
        this.catalog = catalog;
        this.enabled = enabled;
    }

    void onStart(@Observes StartupEvent start) {
        if (!enabled) {
            LOG.info("Loading the metric catalog from the registry is switched off: plumbline.metrics alone fills it");
            catalog.markLoaded();
            return;
        }
        AtomicInteger attempts = new AtomicInteger();
        AtomicInteger loadedVersions = new AtomicInteger();
        Uni.createFrom().deferred(() -> {
                    loadedVersions.set(0);
                    return loadFrom("", loadedVersions);
                })
                .onFailure().invoke(failure -> LOG.warnf("Loading the metric catalog from the registry failed "
                        + "(attempt %d; span intake and judging wait until it succeeds): %s",
                        attempts.incrementAndGet(), failure.toString()))
                .onFailure().retry().withBackOff(Duration.ofSeconds(1), Duration.ofSeconds(30)).indefinitely()
                .subscribe().with(ignored -> {
                    catalog.markLoaded();
                    LOG.infof("Metric catalog loaded from the registry: %d published version(s)", loadedVersions.get());
                }, failure -> LOG.errorf(failure, "Loading the metric catalog from the registry gave up"));
    }

    private Uni<Void> loadFrom(String pageToken, AtomicInteger loadedVersions) {
        return registry.listPublishedVersions(ListPublishedVersionsRequest.newBuilder()
                        .setPageSize(PAGE_SIZE).setPageToken(pageToken).build())
                .chain(page -> {
                    learn(page, loadedVersions);
                    return page.getNextPageToken().isEmpty()
                            ? Uni.createFrom().voidItem()
                            : loadFrom(page.getNextPageToken(), loadedVersions);
                });
    }

    private void learn(ListPublishedVersionsResponse page, AtomicInteger loadedVersions) {
        for (MetricWithVersion published : page.getMetricsList()) {
            catalog.learn(published.getMetric(), published.getVersion());
            loadedVersions.incrementAndGet();
        }
    }
}
