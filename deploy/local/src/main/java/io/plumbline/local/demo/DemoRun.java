package io.plumbline.local.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.plumbline.local.demo.DemoDataset.Interaction;
import io.plumbline.local.demo.DemoDataset.Label;
import io.plumbline.proto.alignment.v1.AlignmentGrpc;
import io.plumbline.proto.alignment.v1.AlignmentRun;
import io.plumbline.proto.alignment.v1.Disagreement;
import io.plumbline.proto.alignment.v1.GetAgreementRequest;
import io.plumbline.proto.alignment.v1.GetTriggerStatusRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsRequest;
import io.plumbline.proto.alignment.v1.ListDisagreementsResponse;
import io.plumbline.proto.alignment.v1.ListRunsRequest;
import io.plumbline.proto.alignment.v1.VersionAgreement;
import io.plumbline.proto.annotation.v1.AllStrategy;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.CreateQueueRequest;
import io.plumbline.proto.annotation.v1.FillStrategy;
import io.plumbline.proto.annotation.v1.ImportError;
import io.plumbline.proto.annotation.v1.ImportLabelsRequest;
import io.plumbline.proto.annotation.v1.ImportLabelsResponse;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.annotation.v1.ResolutionRule;
import io.plumbline.proto.annotation.v1.ResolutionSettings;
import io.plumbline.proto.annotation.v1.UpdateResolutionConfigRequest;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.judge.v1.BudgetUsage;
import io.plumbline.proto.judge.v1.EvaluateItem;
import io.plumbline.proto.judge.v1.EvaluateRequest;
import io.plumbline.proto.judge.v1.JudgeGrpc;
import io.plumbline.proto.judge.v1.ListBudgetUsageRequest;
import io.plumbline.proto.judge.v1.ListBudgetUsageResponse;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.plumbline.proto.registry.v1.AttributeMatcher;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.ListMetricsResponse;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricRegistryGrpc;
import io.plumbline.proto.registry.v1.UpdateMetricRequest;

/**
 * The demo: what a team does in its first hour with Plumbline, done through the services' public APIs within minutes.
 * <ol>
 *   <li>the eight built-in metrics forked into the {@code demo} project, judged by the selected model, bound to the
 *       LLM spans (span level), the agent runs (trace level) and the support conversations (session level) of all three
 *       tracing conventions; the principal expert's label resolves each review item; one custom review queue;</li>
 *   <li>the dataset's interactions streamed as OTLP spans ({@link DemoTraffic}) to the judge-service;</li>
 *   <li>once judged, the experts' labels imported into the annotation-service (JSONL, by record id);</li>
 *   <li>the metrics with the most disagreements put under the auto-publish alignment policy: the alignment-service
 *       starts a run for each by itself, distills guidelines from the critiques, validates on held-out labels and
 *       publishes the better version.</li>
 * </ol>
 * Progress (spans sent, evaluations stored, labels imported, alignment runs) is printed while it runs.
 */
public final class DemoRun {

    public static final String PROJECT = "demo";
    public static final String PRINCIPAL = "dana.okafor";
    /** Metrics put under the auto-publish policy: the three with the most disagreements in the dataset. */
    static final List<String> ALIGNED_METRICS = List.of("answer_correctness", "groundedness", "wrong_tool_calls");
    static final Set<String> PERCENT_METRICS = Set.of("groundedness", "goal_completion");
    static final int DISAGREEMENT_THRESHOLD = 10;
    /** Forks need names of their own: a built-in's name is taken in every project. */
    static final String METRIC_PREFIX = "northwind_";

    /** Where the services listen and how to call them. */
    public record Endpoints(String host, int registryPort, int judgePort, int annotationPort, int alignmentPort,
            String adminKey) {
    }

    /** Which model judges and reflects (provider names of the services' configuration). */
    public record Models(String provider, String judgeModel) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Author DEMO = Author.newBuilder().setUser("demo").build();

    private final DemoDataset dataset;
    private final Endpoints endpoints;
    private final Models models;
    private final DemoStandIn standIn;
    private final PrintStream out;
    private final DemoIds ids;
    private final Duration judgingTimeout;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final MetricRegistryGrpc.MetricRegistryBlockingStub registry;
    private final JudgeGrpc.JudgeBlockingStub judge;
    private final AnnotationsGrpc.AnnotationsBlockingStub annotations;
    private final AlignmentGrpc.AlignmentBlockingStub alignment;
    private final Map<String, Metric> metrics = new LinkedHashMap<>();
    private final Map<String, String> interactionByRecord = new LinkedHashMap<>();
    /** Principal labels the import took, by metric id: the annotations the alignment-service will join. */
    private final Map<String, Long> principalLabelsTaken = new LinkedHashMap<>();
    private volatile String stage = "setting up";
    private volatile DemoTraffic traffic;
    private volatile long evaluationsBaseline;
    private volatile long evaluationsSeen;
    private volatile long labelsImported;
    private volatile String alignmentState = "waiting for labels";

    /** What the demo did, for the summary and for tests. */
    public record Result(long spansSent, long evaluations, long labelsImported, long labelsRejected,
            Map<String, AlignmentRun> runs, Map<String, Metric> metrics, String salt) {
    }

    public DemoRun(DemoDataset dataset, Endpoints endpoints, Models models, DemoStandIn standIn, PrintStream out,
            Duration judgingTimeout) {
        this.dataset = dataset;
        this.endpoints = endpoints;
        this.models = models;
        this.standIn = standIn;
        this.out = out;
        this.judgingTimeout = judgingTimeout;
        this.ids = new DemoIds(HexFormat.of().formatHex(longBytes(ThreadLocalRandom.current().nextLong())).substring(0, 8));
        this.registry = MetricRegistryGrpc.newBlockingStub(channel(endpoints.registryPort()));
        this.judge = JudgeGrpc.newBlockingStub(channel(endpoints.judgePort()));
        Metadata key = new Metadata();
        key.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), endpoints.adminKey());
        this.annotations = AnnotationsGrpc.newBlockingStub(channel(endpoints.annotationPort()))
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key));
        this.alignment = AlignmentGrpc.newBlockingStub(channel(endpoints.alignmentPort()));
    }

    public DemoIds ids() {
        return ids;
    }

    /** Runs the demo to its end (alignment runs decided); prints progress on {@code out}. */
    public Result run() {
        long t0 = System.nanoTime();
        Thread progress = Thread.ofPlatform().daemon().name("plumbline-demo-progress").start(this::printProgress);
        try {
            stage = "creating metrics";
            setUpMetrics();
            setUpReviews();
            stage = "waiting until the judge knows the metrics";
            for (Metric metric : metrics.values()) {
                awaitJudgeKnows(metric);
            }
            evaluationsBaseline = evaluationsStored();
            stage = "streaming spans";
            long expected = stream();
            stage = "judging";
            awaitEvaluations(expected);
            stage = "importing labels";
            long[] imported = importLabels();
            stage = "aligning";
            Map<String, AlignmentRun> runs = align();
            stage = "done";
            progress.interrupt();
            try {
                progress.join(Duration.ofSeconds(2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Result result = new Result(traffic.spansSent(), evaluationsSeen - evaluationsBaseline, imported[0],
                    imported[1], runs, Map.copyOf(metrics), ids.salt());
            printSummary(result, (System.nanoTime() - t0) / 1e9);
            return result;
        } finally {
            progress.interrupt();
            if (traffic != null) {
                traffic.close();
            }
            for (ManagedChannel channel : channels) {
                channel.shutdownNow();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ metrics

    private void setUpMetrics() {
        Map<String, Metric> builtins = new LinkedHashMap<>();
        Map<String, Metric> existing = new LinkedHashMap<>();
        String page = "";
        do {
            ListMetricsResponse response = registry.listMetrics(ListMetricsRequest.newBuilder().setProjectId(PROJECT)
                    .setPageSize(500).setPageToken(page).build());
            for (Metric metric : response.getMetricsList()) {
                (metric.getBuiltin() ? builtins : existing).put(metric.getName(), metric);
            }
            page = response.getNextPageToken();
        } while (!page.isEmpty());
        for (String name : DemoStandIn.TEMPLATE_MARKERS.keySet()) {
            Metric metric = existing.get(METRIC_PREFIX + name);
            if (metric == null) {
                Metric builtin = builtins.get(name);
                if (builtin == null) {
                    throw new IllegalStateException("The registry has no built-in metric " + name);
                }
                metric = registry.forkMetric(ForkMetricRequest.newBuilder().setProjectId(PROJECT)
                        .setSourceMetricId(builtin.getId()).setName(METRIC_PREFIX + name).setAuthor(DEMO)
                        .setChangeNote("Forked for the Northwind demo").build()).getMetric();
                out.println("  demo: forked built-in " + name + " into project " + PROJECT + " as " + metric.getName());
            }
            ModelConfig model = ModelConfig.newBuilder().setProvider(models.provider()).setModel(models.judgeModel())
                    .setTemperature(0.0).build();
            metric = registry.updateMetric(UpdateMetricRequest.newBuilder().setProjectId(PROJECT)
                    .setMetricId(metric.getId()).setExpectedRevision(metric.getRevision())
                    .setDescription(metric.getDescription()).setJudgeModel(model)
                    .addAllBindings(bindings(metric.getLevel()))
                    .setAlignmentPolicy(metric.hasAlignmentPolicy() ? metric.getAlignmentPolicy()
                            : AlignmentPolicy.newBuilder().setMode(AlignmentPolicy.Mode.MODE_OFF).build())
                    .setActor(DEMO).build());
            metrics.put(name, metric);
        }
    }

    /**
     * Span metrics judge the LLM calls, trace metrics the agent runs, session metrics every conversation: one binding
     * per tracing convention, since each names the operation its own way.
     */
    static List<Binding> bindings(Level level) {
        return switch (level) {
            case LEVEL_SPAN -> List.of(
                    binding("genai-chat", "gen_ai.operation.name", "chat"),
                    binding("openinference-llm", "openinference.span.kind", "LLM"),
                    binding("openllmetry-chat", "llm.request.type", "chat"));
            case LEVEL_TRACE -> List.of(
                    binding("genai-agent", "gen_ai.operation.name", "invoke_agent"),
                    binding("openinference-agent", "openinference.span.kind", "AGENT"),
                    binding("openllmetry-agent", "traceloop.span.kind", "agent"));
            default -> List.of(Binding.newBuilder().setName("all-conversations").setSamplingRate(1.0).build());
        };
    }

    private static Binding binding(String name, String key, String value) {
        return Binding.newBuilder().setName(name).setSamplingRate(1.0).addMatchers(AttributeMatcher.newBuilder()
                .setKey(key).setOperator(AttributeMatcher.Operator.OPERATOR_EQUALS).setValue(value)).build();
    }

    /** The principal expert decides every item; numeric labels within 10 points agree; one queue of our own. */
    private void setUpReviews() {
        for (Metric metric : metrics.values()) {
            annotations.updateResolutionConfig(UpdateResolutionConfigRequest.newBuilder().setProjectId(PROJECT)
                    .setMetricId(metric.getId()).setSettings(ResolutionSettings.newBuilder()
                            .setRule(ResolutionRule.RESOLUTION_RULE_PRINCIPAL_EXPERT).setRequiredReviews(1)
                            .setPrincipalReviewerId(PRINCIPAL)
                            .setNumericTolerance(PERCENT_METRICS.contains(metric.getName()) ? 10 : 0))
                    .build());
        }
        Metric correctness = metrics.get("answer_correctness");
        boolean hasQueue = annotations.listQueues(ListQueuesRequest.newBuilder().setProjectId(PROJECT)
                .setMetricId(correctness.getId()).setExcludeMetricDefault(true).build()).getQueuesCount() > 0;
        if (!hasQueue) {
            annotations.createQueue(CreateQueueRequest.newBuilder().setProjectId(PROJECT)
                    .setName("Northwind answers: expert review")
                    .setDescription("Every answer the judge scored for correctness, for Dana Okafor (principal expert)")
                    .setMetricId(correctness.getId())
                    .setStrategy(FillStrategy.newBuilder().setAll(AllStrategy.getDefaultInstance())).build());
        }
    }

    private void awaitJudgeKnows(Metric metric) {
        EvaluateRequest probe = EvaluateRequest.newBuilder().setProjectId(PROJECT)
                .setMetricVersion(MetricVersionRef.newBuilder().setMetricId(metric.getId())).setStore(false)
                .addItems(EvaluateItem.newBuilder().setKey("probe").setSnapshot(RecordSnapshot.newBuilder()
                        .setInput("Are you open on Sundays?").setOutput("Yes, every store opens at 10 am on Sundays.")))
                .build();
        awaitTrue("the judge-service to learn metric " + metric.getName(), Duration.ofMinutes(2), () -> {
            try {
                return judge.evaluate(probe).getResultsCount() == 1;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    return false;
                }
                throw e;
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ traffic

    /** Streams every interaction; returns the evaluations they should produce. */
    private long stream() {
        traffic = new DemoTraffic("http://" + endpoints.host() + ":" + endpoints.judgePort(), PROJECT, ids,
                dataset.articles());
        long spanRecords = 0;
        long agentTraces = 0;
        long sessions = 0;
        for (Interaction interaction : dataset.interactions()) {
            traffic.send(interaction);
            spanRecords++;
            interactionByRecord.put(ids.llmSpanRecordId(interaction.id()), interaction.id());
            if (interaction.agent()) {
                agentTraces++;
                interactionByRecord.put(ids.traceId(interaction.id()), interaction.id());
            }
            if (interaction.sessionEnd()) {
                sessions++;
                interactionByRecord.put(ids.sessionId(interaction.sessionId()), interaction.id());
            }
            pause(Duration.ofMillis(40)); // a steady stream the user can follow, not one burst
        }
        if (!traffic.flush(Duration.ofSeconds(60))) {
            out.println("  demo: the OTLP exporter could not confirm every span within 60 s (see the judge-service log)");
        }
        return spanRecords * 5 + agentTraces * 2 + sessions;
    }

    private void awaitEvaluations(long expected) {
        long deadline = System.nanoTime() + judgingTimeout.toNanos();
        long last = -1;
        long lastChange = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long seen = evaluationsStored();
            evaluationsSeen = seen;
            if (seen - evaluationsBaseline >= expected) {
                return;
            }
            if (seen != last) {
                last = seen;
                lastChange = System.nanoTime();
            } else if (System.nanoTime() - lastChange > Duration.ofMinutes(3).toNanos()) {
                out.println("  demo: no new evaluation for 3 minutes; going on with " + (seen - evaluationsBaseline)
                        + " of " + expected);
                return;
            }
            pause(Duration.ofSeconds(2));
        }
        out.println("  demo: judging did not finish within " + judgingTimeout.toMinutes() + " min; going on with "
                + (evaluationsSeen - evaluationsBaseline) + " of " + expected + " evaluations");
    }

    /**
     * Evaluations the judge-service stored from the stream in the demo project (its budget ledger counts each one under
     * its binding; ad-hoc calls and recompute jobs have ledger rows of their own, left out here).
     */
    private long evaluationsStored() {
        long total = 0;
        String page = "";
        do {
            ListBudgetUsageResponse response = judge.listBudgetUsage(ListBudgetUsageRequest.newBuilder()
                    .setProjectId(PROJECT).setPageSize(500).setPageToken(page).build());
            for (BudgetUsage usage : response.getUsageList()) {
                if (!usage.getBindingName().equals("ad-hoc") && !usage.getBindingName().equals("recompute")) {
                    total += usage.getEvaluations();
                }
            }
            page = response.getNextPageToken();
        } while (!page.isEmpty());
        return total;
    }

    // ------------------------------------------------------------------------------------------------ labels

    /**
     * The dataset's labels as the annotation-service's JSONL import: a second opinion before the principal's label.
     * {@code metricRef} gives the {@code metric} column of a dataset metric (the import resolves metric ids). A label
     * whose value differs from the judge's without a critique is left out: the annotation-service requires a critique
     * for every incorrect verdict (7 rows of the dataset: 5 second opinions, 2 principal groundedness labels within the
     * 10-point tolerance).
     */
    public static String labelFile(DemoDataset dataset, DemoIds ids, Function<String, String> metricRef) {
        StringBuilder second = new StringBuilder();
        StringBuilder principal = new StringBuilder();
        for (Map.Entry<Interaction, Label> entry : dataset.labels()) {
            Interaction interaction = entry.getKey();
            Label label = entry.getValue();
            if (label.disagrees() && label.critique() == null) {
                continue;
            }
            ObjectNode row = JSON.createObjectNode();
            row.put("record_id", recordId(ids, interaction, label.metric()));
            row.put("metric", metricRef.apply(label.metric()));
            row.put("reviewer", label.reviewer());
            row.set("value", label.value());
            if (label.critique() != null) {
                row.put("critique", label.critique());
            }
            if (interaction.failureMode() != null && label.disagrees()) {
                row.putArray("tags").add(interaction.failureMode());
            }
            (label.reviewer().equals(PRINCIPAL) ? principal : second).append(row).append('\n');
        }
        return second.append(principal).toString();
    }

    /** The judged record a label of {@code metric} names. */
    static String recordId(DemoIds ids, Interaction interaction, String metric) {
        return switch (metric) {
            case "goal_completion", "wrong_tool_calls" -> ids.traceId(interaction.id());
            case "session_resolved" -> ids.sessionId(interaction.sessionId());
            default -> ids.llmSpanRecordId(interaction.id());
        };
    }

    /**
     * Imports the labels; rows whose evaluation has not reached the annotation-service yet are refused, so the import
     * is repeated every 5 s (what is already stored is "unchanged") until every row is taken, or six imports in a row
     * took nothing more. Returns {taken, refused}.
     */
    private long[] importLabels() {
        String file = labelFile(dataset, ids, name -> metrics.get(name).getId());
        long rows = file.lines().count();
        ImportLabelsResponse response;
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        long previous = -1;
        int unchanged = 0;
        while (true) {
            response = annotations.importLabels(ImportLabelsRequest.newBuilder().setProjectId(PROJECT)
                    .setFormat(LabelFormat.LABEL_FORMAT_JSONL).setContent(ByteString.copyFrom(file, StandardCharsets.UTF_8))
                    .build());
            labelsImported = rows - response.getRejected();
            unchanged = response.getRejected() == previous ? unchanged + 1 : 0;
            previous = response.getRejected();
            if (response.getRejected() == 0 || unchanged >= 6 || System.nanoTime() > deadline) {
                break;
            }
            pause(Duration.ofSeconds(5));
        }
        if (response.getRejected() > 0) {
            out.println("  demo: " + response.getRejected() + " of " + rows + " labels were refused; first reasons:");
            for (ImportError error : response.getErrorsList().subList(0, Math.min(5, response.getErrorsCount()))) {
                out.println("    line " + error.getLine() + " " + error.getField() + ": " + error.getReason());
            }
        }
        Set<Long> refused = response.getErrorsList().stream().map(ImportError::getLine)
                .collect(Collectors.toSet());
        List<String> lines = file.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            try {
                var row = JSON.readTree(lines.get(i));
                if (!refused.contains((long) i + 1) && row.path("reviewer").asText().equals(PRINCIPAL)) {
                    principalLabelsTaken.merge(row.path("metric").asText(), 1L, Long::sum);
                }
            } catch (IOException e) {
                throw new IllegalStateException("the label file does not parse", e);
            }
        }
        return new long[]{labelsImported, response.getRejected()};
    }

    // ------------------------------------------------------------------------------------------------ alignment

    private Map<String, AlignmentRun> align() {
        alignmentState = "waiting for the alignment-service to count the disagreements";
        List<String> eligible = new ArrayList<>();
        for (String name : ALIGNED_METRICS) {
            Metric metric = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(PROJECT)
                    .setMetricId(metrics.get(name).getId()).build());
            long labelled = principalLabelsTaken.getOrDefault(metric.getId(), 0L);
            try {
                awaitTrue("the alignment-service to join the " + labelled + " labels of " + name, Duration.ofMinutes(3),
                        () -> labelledEvaluations(metric) >= labelled);
            } catch (IllegalStateException e) {
                out.println("  demo: no alignment run for " + name + ": " + e.getMessage());
                continue;
            }
            long disagreements = alignment.getTriggerStatus(GetTriggerStatusRequest.newBuilder().setProjectId(PROJECT)
                    .setMetricId(metric.getId()).build()).getDisagreementsSinceCurrentVersion();
            if (disagreements < DISAGREEMENT_THRESHOLD) {
                // A second demo run judges with the aligned version: it may disagree too little to need another run.
                out.println("  demo: no alignment run for " + name + ": " + disagreements + " disagreements on version "
                        + metric.getPublishedVersion() + ", fewer than " + DISAGREEMENT_THRESHOLD);
                continue;
            }
            if (standIn != null) {
                standIn.teach(name, metric.getName(), disagreements(metric));
            }
            eligible.add(name);
        }
        Map<String, String> previousRuns = new LinkedHashMap<>();
        for (String name : eligible) {
            previousRuns.put(name, lastRunId(metrics.get(name).getId()));
            // A short cooldown so that a second demo run may start runs again; the default is restored below.
            setPolicy(name, com.google.protobuf.Duration.newBuilder().setSeconds(60).build());
        }
        alignmentState = "policy set to auto-publish; waiting for the runs to start";
        Map<String, AlignmentRun> runs = new LinkedHashMap<>();
        long deadline = System.nanoTime() + judgingTimeout.plusMinutes(5).toNanos();
        while (!eligible.isEmpty() && System.nanoTime() < deadline) {
            List<String> states = new ArrayList<>();
            for (String name : eligible) {
                AlignmentRun run = latestRun(metrics.get(name).getId());
                if (run != null && !run.getId().equals(previousRuns.get(name))) {
                    runs.put(name, run);
                    states.add(name + " " + describe(run));
                } else {
                    states.add(name + " not started");
                }
            }
            alignmentState = String.join("; ", states);
            if (runs.size() == eligible.size() && runs.values().stream().allMatch(DemoRun::decided)) {
                break;
            }
            pause(Duration.ofSeconds(2));
        }
        if (runs.size() < eligible.size() || !runs.values().stream().allMatch(DemoRun::decided)) {
            out.println("  demo: the alignment runs did not end in time: " + alignmentState);
        }
        for (String name : eligible) {
            setPolicy(name, null);
        }
        return runs;
    }

    /** Auto-publish: a run after 10 disagreements, published when it lifts agreement by 5 points or more. */
    private void setPolicy(String name, com.google.protobuf.Duration cooldown) {
        Metric metric = registry.getMetric(GetMetricRequest.newBuilder().setProjectId(PROJECT)
                .setMetricId(metrics.get(name).getId()).build());
        AlignmentPolicy.Builder policy = AlignmentPolicy.newBuilder().setMode(AlignmentPolicy.Mode.MODE_AUTO_PUBLISH)
                .setDisagreementThreshold(DISAGREEMENT_THRESHOLD).setMinLiftPoints(5)
                .setDeltaThreshold(PERCENT_METRICS.contains(name) ? 10 : 0);
        if (cooldown != null) {
            policy.setCooldown(cooldown);
        }
        metric = registry.updateMetric(UpdateMetricRequest.newBuilder().setProjectId(PROJECT)
                .setMetricId(metric.getId()).setExpectedRevision(metric.getRevision())
                .setDescription(metric.getDescription()).setJudgeModel(metric.getJudgeModel())
                .addAllBindings(metric.getBindingsList()).setAlignmentPolicy(policy).setActor(DEMO).build());
        metrics.put(name, metric);
    }

    /** Resolved labels the alignment-service joined with evaluations of the metric's published version. */
    private long labelledEvaluations(Metric metric) {
        return alignment.getAgreement(GetAgreementRequest.newBuilder().setProjectId(PROJECT).setMetricId(metric.getId())
                        .setVersion(metric.getPublishedVersion()).build()).getVersionsList().stream()
                .filter(v -> v.getVersion() == metric.getPublishedVersion()).mapToLong(v -> v.getOverall().getN())
                .sum();
    }

    /** Annotation id to the dataset interaction, for every disagreement of {@code metric}. */
    private Map<String, String> disagreements(Metric metric) {
        Map<String, String> found = new LinkedHashMap<>();
        String page = "";
        do {
            ListDisagreementsResponse response = alignment.listDisagreements(ListDisagreementsRequest.newBuilder()
                    .setProjectId(PROJECT).setMetricId(metric.getId()).setPageSize(500).setPageToken(page).build());
            for (Disagreement disagreement : response.getDisagreementsList()) {
                String interaction = interactionByRecord.get(disagreement.getRecord().getRecordId());
                if (interaction != null) {
                    found.put(disagreement.getAnnotationId(), interaction);
                }
            }
            page = response.getNextPageToken();
        } while (!page.isEmpty());
        return found;
    }

    private String lastRunId(String metricId) {
        AlignmentRun run = latestRun(metricId);
        return run == null ? "" : run.getId();
    }

    private AlignmentRun latestRun(String metricId) {
        List<AlignmentRun> runs = alignment.listRuns(ListRunsRequest.newBuilder().setProjectId(PROJECT)
                .setMetricId(metricId).setPageSize(1).build()).getRunsList();
        return runs.isEmpty() ? null : runs.get(0);
    }

    private static boolean decided(AlignmentRun run) {
        return switch (run.getStatus()) {
            case STATUS_ERROR, STATUS_CANCELLED -> true;
            // An auto-publish run is decided at once, or left for a person with a note.
            case STATUS_ALIGNED -> run.hasDecision() || run.getNothingToLearn() || !run.getAutoPublishNote().isEmpty();
            default -> false;
        };
    }

    private static String describe(AlignmentRun run) {
        String status = run.getStatus().name().substring("STATUS_".length()).toLowerCase(Locale.ROOT);
        if (run.getStatus() == AlignmentRun.Status.STATUS_RUNNING) {
            return status + " (" + run.getPhase().name().substring("PHASE_".length()).toLowerCase(Locale.ROOT)
                    .replace('_', ' ') + ")";
        }
        if (run.hasDecision() && run.getDecision().getPublished()) {
            return status + String.format(Locale.ROOT, ", lift %+.1f points, published as version %d",
                    run.getValidation().getLiftPoints(), run.getDecision().getCreatedVersion().getVersion());
        }
        if (run.getStatus() == AlignmentRun.Status.STATUS_ALIGNED) {
            return status + String.format(Locale.ROOT, ", lift %+.1f points%s", run.getValidation().getLiftPoints(),
                    run.getAutoPublishNote().isEmpty() ? "" : " (" + run.getAutoPublishNote() + ")");
        }
        return status;
    }

    // ------------------------------------------------------------------------------------------------ output

    private void printProgress() {
        long total = dataset.interactions().size();
        long labels = dataset.labels().stream().filter(l -> !l.getValue().disagrees() || l.getValue().critique() != null)
                .count();
        String last = "";
        while (!Thread.currentThread().isInterrupted()) {
            DemoTraffic current = traffic;
            String line = String.format(Locale.ROOT, "  demo [%s] spans sent %d (%d of %d interactions) · evaluations %d"
                            + " · labels imported %d/%d · alignment: %s",
                    stage, current == null ? 0 : current.spansSent(), interactionByRecord.isEmpty() ? 0
                            : Math.min(total, interactionByRecord.keySet().stream().filter(k -> k.contains("/")).count()),
                    total, Math.max(0, evaluationsSeen - evaluationsBaseline), labelsImported, labels, alignmentState);
            if (!line.equals(last)) {
                out.println(line);
                last = line;
            }
            try {
                Thread.sleep(3000); // a display refresh, not a synchronisation
            } catch (InterruptedException e) {
                return;
            }
            if (stage.equals("judging") || stage.equals("streaming spans")) {
                try {
                    evaluationsSeen = evaluationsStored();
                } catch (StatusRuntimeException ignored) {
                    // shown at the next refresh
                }
            }
        }
    }

    private void printSummary(Result result, double seconds) {
        out.println();
        out.printf(Locale.ROOT, "Demo done in %.0f s: %d spans sent, %d evaluations, %d labels imported%s.%n", seconds,
                result.spansSent(), result.evaluations(), result.labelsImported(),
                result.labelsRejected() > 0 ? " (" + result.labelsRejected() + " refused)" : "");
        for (String name : ALIGNED_METRICS) {
            Metric metric = metrics.get(name);
            try {
                var agreement = alignment.getAgreement(GetAgreementRequest.newBuilder().setProjectId(PROJECT)
                        .setMetricId(metric.getId()).build());
                for (VersionAgreement version : agreement.getVersionsList()) {
                    var stats = version.getOverall();
                    out.printf(Locale.ROOT, "  %-18s v%d: %d labelled, %d disagreements%s%s%n", name, version.getVersion(),
                            stats.getN(), stats.getDisagreements(),
                            stats.getAccuracy().getDefined() ? String.format(Locale.ROOT, ", accuracy %.2f",
                                    stats.getAccuracy().getValue()) : "",
                            stats.getMeanAbsoluteError().getDefined() ? String.format(Locale.ROOT, ", MAE %.2f",
                                    stats.getMeanAbsoluteError().getValue()) : "");
                }
            } catch (StatusRuntimeException e) {
                out.println("  " + name + ": agreement unavailable (" + e.getStatus().getCode() + ")");
            }
            AlignmentRun run = result.runs().get(name);
            out.println("  " + " ".repeat(18) + " alignment run: " + (run == null ? "none" : describe(run)));
        }
        out.println("  Open the console at http://127.0.0.1:8080 (project \"" + PROJECT + "\") to review, compare and "
                + "accept.");
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private ManagedChannel channel(int port) {
        ManagedChannel channel = ManagedChannelBuilder.forAddress(endpoints.host(), port).usePlaintext()
                .maxInboundMessageSize(64 * 1024 * 1024).build();
        channels.add(channel);
        return channel;
    }

    private static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            pause(Duration.ofSeconds(1)); // polling a remote service: the interval between two questions
        }
    }

    private static void pause(Duration duration) {
        try {
            TimeUnit.MILLISECONDS.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static byte[] longBytes(long value) {
        return java.nio.ByteBuffer.allocate(8).putLong(value).array();
    }
}
