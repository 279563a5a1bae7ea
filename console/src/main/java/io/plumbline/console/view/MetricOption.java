package io.plumbline.console.view;

import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import java.util.List;

/** A metric in a picker: what the forms that choose a metric show of it. */
public record MetricOption(String id, String name, boolean builtin, int published, String provider, String model) {

    /** The project's metrics (built-in and custom), as the registry lists them. */
    public static List<MetricOption> all(MetricRegistryGrpc.MetricRegistryBlockingStub registry, String project) {
        return registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(project).setPageSize(200).build())
                .getMetricsList().stream().map(MetricOption::of).toList();
    }

    public static MetricOption of(Metric m) {
        return new MetricOption(m.getId(), m.getName(), m.getBuiltin(), m.getPublishedVersion(),
                m.getJudgeModel().getProvider(), m.getJudgeModel().getModel());
    }
}
