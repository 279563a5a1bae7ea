package io.plumbline.alignment.agreement;

import com.google.common.util.concurrent.AtomicDouble;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.plumbline.alignment.join.ResolvedAnnotation;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Agreement per metric version on the Prometheus endpoint, refreshed on a schedule:
 * {@code plumbline_agreement_accuracy}, {@code plumbline_agreement_cohen_kappa} (boolean and categorical),
 * {@code plumbline_agreement_mean_absolute_error} (numeric) and {@code plumbline_agreement_pairs}, tagged with project,
 * metric and version.
 */
@ApplicationScoped
public class AgreementGauges {

    private final AgreementService agreement;
    private final MeterRegistry meters;
    private final Map<String, AtomicDouble> gauges = new ConcurrentHashMap<>();

    AgreementGauges(AgreementService agreement, MeterRegistry meters) {
        this.agreement = agreement;
        this.meters = meters;
    }

    @Scheduled(every = "${plumbline.agreement.gauge-interval:60s}", delayed = "${plumbline.agreement.gauge-delay:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    Uni<Void> refresh() {
        return Panache.withSession(() -> ResolvedAnnotation.find("select distinct a.projectId, a.metricId from ResolvedAnnotation a")
                        .project(Object[].class).list())
                .onItem().transformToMulti(rows -> Multi.createFrom().iterable((List<Object[]>) (List<?>) rows))
                .onItem().transformToUniAndConcatenate(row -> agreement.get(GetAgreementRequest.newBuilder()
                        .setProjectId((String) row[0]).setMetricId(row[1].toString()).build()))
                .onItem().invoke(this::publish)
                .collect().last().replaceWithVoid();
    }

    private void publish(MetricAgreement metric) {
        for (var version : metric.getVersionsList()) {
            Tags tags = Tags.of("project", metric.getProjectId(), "metric", metric.getMetricId(),
                    "version", Integer.toString(version.getVersion()));
            var overall = version.getOverall();
            set("plumbline.agreement.pairs", tags, overall.getN());
            set("plumbline.agreement.accuracy", tags, overall.getAccuracy().getValue());
            if (overall.getCohenKappa().getDefined()) {
                set("plumbline.agreement.cohen_kappa", tags, overall.getCohenKappa().getValue());
            }
            if (overall.getMeanAbsoluteError().getDefined()) {
                set("plumbline.agreement.mean_absolute_error", tags, overall.getMeanAbsoluteError().getValue());
            }
        }
    }

    private void set(String name, Tags tags, double value) {
        gauges.computeIfAbsent(name + tags, key -> meters.gauge(name, tags, new AtomicDouble())).set(value);
    }
}
