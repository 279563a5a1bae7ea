package io.plumbline.registry.metric;

import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.Violations;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.registry.v1.CreateMetricRequest;
import io.plumbline.proto.registry.v1.ForkMetricRequest;
import io.plumbline.proto.registry.v1.GetMetricRequest;
import io.plumbline.proto.registry.v1.ListMetricsRequest;
import io.plumbline.proto.registry.v1.ListMetricsResponse;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.proto.registry.v1.MetricWithVersion;
import io.plumbline.proto.registry.v1.Publication;
import io.plumbline.proto.registry.v1.SetArchivedRequest;
import io.plumbline.proto.registry.v1.UpdateMetricRequest;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.registry.event.MetricEvents;
import io.plumbline.registry.version.PublishedVersionCache;
import io.plumbline.registry.version.VersionService;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.UUID;

/** A metric's settings: create, read, list, update, archive, fork. */
@ApplicationScoped
public class MetricService {

    private final VersionService versions;
    private final MetricEvents events;

    private final PublishedVersionCache cache;

    MetricService(VersionService versions, MetricEvents events, PublishedVersionCache cache) {
        this.versions = versions;
        this.events = events;
        this.cache = cache;
    }

    @WithTransaction
    public Uni<MetricWithVersion> create(CreateMetricRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        MetricRules.name(request.getName(), "name", v);
        v.limitText(request.getDescription(), "description", MetricRules.MAX_DESCRIPTION);
        MetricRules.level(request.getLevel(), v);
        OutputTypes.validate(request.getOutputType(), "output_type", v);
        MetricRules.model(request.getJudgeModel(), "judge_model", v);
        MetricRules.bindings(request.getBindingsList(), v);
        MetricRules.alignmentPolicy(request.getAlignmentPolicy(), v);
        MetricRules.author(request.getAuthor(), "author", v);
        v.limitText(request.getChangeNote(), "change_note", MetricRules.MAX_CHANGE_NOTE);
        if (v.isEmpty()) {
            MetricRules.content(request.getContent(), request.getOutputType(), "content", v);
        }
        v.throwIfAny();

        MetricEntity metric = new MetricEntity();
        metric.id = UUID.randomUUID();
        metric.projectId = request.getProjectId();
        metric.name = request.getName();
        metric.description = request.getDescription();
        metric.level = request.getLevel().name();
        metric.outputTypeJson = MetricMapping.print(request.getOutputType());
        metric.judgeModelJson = MetricMapping.print(request.getJudgeModel());
        metric.bindingsJson = MetricMapping.printList(MetricRules.withDefaults(request.getBindingsList()));
        metric.alignmentPolicyJson = MetricMapping.print(MetricRules.withDefaults(request.getAlignmentPolicy()));
        String note = request.getChangeNote().isEmpty() ? "Created" : request.getChangeNote();
        return requireFreeName(metric.projectId, metric.name)
                .chain(() -> createWithFirstVersion(metric, request.getContent(), request.getAuthor(), note,
                        MetricEvent.Type.TYPE_METRIC_CREATED));
    }

    @WithTransaction
    public Uni<MetricWithVersion> fork(ForkMetricRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        MetricRules.name(request.getName(), "name", v);
        v.limitText(request.getDescription(), "description", MetricRules.MAX_DESCRIPTION);
        v.check(request.getSourceVersion() < 0, "source_version", "must be 0 (the published one) or a version number");
        MetricRules.author(request.getAuthor(), "author", v);
        v.limitText(request.getChangeNote(), "change_note", MetricRules.MAX_CHANGE_NOTE);
        v.throwIfAny();
        return MetricEntity.findVisible(request.getProjectId(), request.getSourceMetricId())
                .chain(source -> forkByRun(source, request).chain(earlier -> earlier != null
                        ? Uni.createFrom().item(earlier)
                        : forkAnew(source, request)));
    }

    private Uni<MetricWithVersion> forkAnew(MetricEntity source, ForkMetricRequest request) {
        int sourceVersion = request.getSourceVersion() == 0 ? source.publishedVersion : request.getSourceVersion();
        return VersionService.findVersion(source, sourceVersion).chain(version -> {
            VersionContent content = request.hasContent() ? request.getContent() : MetricMapping.content(version);
            Violations contentRules = new Violations();
            MetricRules.content(content, MetricMapping.toProto(source).getOutputType(), "content", contentRules);
            contentRules.throwIfAny();

            MetricEntity fork = new MetricEntity();
            fork.id = UUID.randomUUID();
            fork.projectId = request.getProjectId();
            fork.name = request.getName();
            fork.description = request.getDescription().isEmpty() ? source.description : request.getDescription();
            fork.level = source.level;
            fork.outputTypeJson = source.outputTypeJson;
            fork.judgeModelJson = source.judgeModelJson;
            fork.bindingsJson = source.bindingsJson;
            fork.alignmentPolicyJson = source.alignmentPolicyJson;
            fork.forkedFromMetricId = source.id;
            fork.forkedFromVersion = version.version;
            String note = request.getChangeNote().isEmpty()
                    ? "Forked from " + source.name + " v" + version.version
                    : request.getChangeNote();
            return requireFreeName(fork.projectId, fork.name)
                    .chain(() -> createWithFirstVersion(fork, content, request.getAuthor(), note,
                            MetricEvent.Type.TYPE_METRIC_FORKED));
        });
    }

    /** The fork an alignment run already made of {@code source} in the project, so that a retried accept forks once. */
    private static Uni<MetricWithVersion> forkByRun(MetricEntity source, ForkMetricRequest request) {
        if (!request.getAuthor().hasAlignmentRunId()) {
            return Uni.createFrom().nullItem();
        }
        return MetricVersionEntity.<MetricVersionEntity>find("authorAlignmentRunId = ?1 and version = 1",
                        request.getAuthor().getAlignmentRunId()).list()
                .chain(firstVersions -> firstVersions.isEmpty() ? Uni.createFrom().nullItem()
                        : MetricEntity.<MetricEntity>find("id in ?1 and projectId = ?2 and forkedFromMetricId = ?3",
                                        firstVersions.stream().map(v -> v.metricId).toList(), request.getProjectId(), source.id)
                                .firstResult()
                                .chain(fork -> fork == null ? Uni.createFrom().nullItem()
                                        : VersionService.findVersion(fork, 1)
                                                .map(version -> VersionService.withVersion(fork, version))));
    }

    @WithSession
    public Uni<Metric> get(GetMetricRequest request) {
        return MetricEntity.findVisible(request.getProjectId(), request.getMetricId()).map(MetricMapping::toProto);
    }

    @WithSession
    public Uni<ListMetricsResponse> list(ListMetricsRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        v.check(request.getLevel() == Level.UNRECOGNIZED, "level", "is not a known level");
        v.throwIfAny();
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        String after = PageToken.decode(request.getPageToken());
        // Built-ins (project '') sort before the project's own metrics; the page key is (project, name).
        StringBuilder query = new StringBuilder(request.getExcludeBuiltin()
                ? "projectId = :project" : "(projectId = :project or builtin = true)");
        var params = new java.util.HashMap<String, Object>();
        params.put("project", request.getProjectId());
        if (!request.getIncludeArchived()) {
            query.append(" and archived = false");
        }
        if (request.getLevel() != Level.LEVEL_UNSPECIFIED) {
            query.append(" and level = :level");
            params.put("level", request.getLevel().name());
        }
        if (after != null) {
            int separator = after.indexOf('\n');
            if (separator < 0) {
                throw ApiException.invalid("page_token", "is not a token returned by this API");
            }
            query.append(" and (projectId > :afterProject or (projectId = :afterProject and name > :afterName))");
            params.put("afterProject", after.substring(0, separator));
            params.put("afterName", after.substring(separator + 1));
        }
        query.append(" order by projectId, name");
        return MetricEntity.<MetricEntity>find(query.toString(), params).page(0, size + 1).list().map(rows -> {
            var response = ListMetricsResponse.newBuilder();
            rows.stream().limit(size).forEach(m -> response.addMetrics(MetricMapping.toProto(m)));
            if (rows.size() > size) {
                MetricEntity last = rows.get(size - 1);
                response.setNextPageToken(PageToken.encode(last.projectId + "\n" + last.name));
            }
            return response.build();
        });
    }

    public Uni<Metric> update(UpdateMetricRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        v.limitText(request.getDescription(), "description", MetricRules.MAX_DESCRIPTION);
        MetricRules.model(request.getJudgeModel(), "judge_model", v);
        MetricRules.bindings(request.getBindingsList(), v);
        MetricRules.alignmentPolicy(request.getAlignmentPolicy(), v);
        MetricRules.author(request.getActor(), "actor", v);
        v.throwIfAny();
        return cache.changeThenForget(MetricEntity.parseId(request.getMetricId(), "metric_id"), () ->
                MetricEntity.lockForChange(request.getProjectId(), request.getMetricId()).chain(metric -> {
            metric.requireActive();
            if (request.getExpectedRevision() != 0 && request.getExpectedRevision() != metric.revision) {
                throw ApiException.aborted("metric " + metric.name + " changed since revision "
                                + request.getExpectedRevision() + ": it is at revision " + metric.revision
                                + "; read it again and retry",
                        Map.of("revision", Long.toString(metric.revision),
                                "head_version", Integer.toString(metric.headVersion)));
            }
            metric.description = request.getDescription();
            metric.judgeModelJson = MetricMapping.print(request.getJudgeModel());
            metric.bindingsJson = MetricMapping.printList(MetricRules.withDefaults(request.getBindingsList()));
            metric.alignmentPolicyJson = MetricMapping.print(MetricRules.withDefaults(request.getAlignmentPolicy()));
            metric.touch();
            return publishedVersionOf(metric)
                    .call(published -> events.emit(MetricEvent.Type.TYPE_METRIC_UPDATED, metric, published,
                            request.getActor()))
                    .map(published -> MetricMapping.toProto(metric));
        }));
    }

    public Uni<Metric> setArchived(SetArchivedRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        MetricRules.author(request.getActor(), "actor", v);
        v.throwIfAny();
        return cache.changeThenForget(MetricEntity.parseId(request.getMetricId(), "metric_id"), () ->
                MetricEntity.lockForChange(request.getProjectId(), request.getMetricId()).chain(metric -> {
            if (metric.archived == request.getArchived()) {
                return Uni.createFrom().item(MetricMapping.toProto(metric));
            }
            metric.archived = request.getArchived();
            metric.touch();
            var type = metric.archived ? MetricEvent.Type.TYPE_METRIC_ARCHIVED : MetricEvent.Type.TYPE_METRIC_UNARCHIVED;
            return publishedVersionOf(metric)
                    .call(published -> events.emit(type, metric, published, request.getActor()))
                    .map(published -> MetricMapping.toProto(metric));
        }));
    }

    private Uni<MetricWithVersion> createWithFirstVersion(MetricEntity metric, VersionContent content,
            io.plumbline.proto.registry.v1.Author author, String note, MetricEvent.Type type) {
        metric.createdAt = MetricMapping.now();
        metric.updatedAt = metric.createdAt;
        metric.revision = 0;
        return metric.persist()
                .chain(() -> versions.append(metric, content, author, note))
                .call(version -> versions.recordPublication(metric, version, Publication.Kind.KIND_PUBLISH, 0, author))
                .call(version -> events.emit(type, metric, version, author))
                .map(version -> VersionService.withVersion(metric, version));
    }

    private static Uni<Void> requireFreeName(String projectId, String name) {
        return MetricEntity.count("(projectId = ?1 or builtin = true) and name = ?2", projectId, name).map(taken -> {
            if (taken > 0) {
                throw ApiException.alreadyExists("a metric named \"" + name + "\" already exists in project \""
                        + projectId + "\" (or is a built-in); pick another name");
            }
            return null;
        });
    }

    private static Uni<MetricVersionEntity> publishedVersionOf(MetricEntity metric) {
        return metric.publishedVersion == 0 ? Uni.createFrom().nullItem()
                : VersionService.findVersion(metric, metric.publishedVersion);
    }
}
