package io.plumbline.registry.version;

import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.PageToken;
import io.plumbline.common.api.Violations;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.CreateVersionRequest;
import io.plumbline.proto.registry.v1.DiffVersionsRequest;
import io.plumbline.proto.registry.v1.DiffVersionsResponse;
import io.plumbline.proto.registry.v1.GetPublishedVersionRequest;
import io.plumbline.proto.registry.v1.GetVersionRequest;
import io.plumbline.proto.registry.v1.ListPublicationsRequest;
import io.plumbline.proto.registry.v1.ListPublicationsResponse;
import io.plumbline.proto.registry.v1.ListPublishedVersionsRequest;
import io.plumbline.proto.registry.v1.ListPublishedVersionsResponse;
import io.plumbline.proto.registry.v1.ListVersionsRequest;
import io.plumbline.proto.registry.v1.ListVersionsResponse;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricEvent;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.MetricWithVersion;
import io.plumbline.proto.registry.v1.Publication;
import io.plumbline.proto.registry.v1.PublishVersionRequest;
import io.plumbline.proto.registry.v1.RevertToVersionRequest;
import io.plumbline.proto.registry.v1.VersionContent;
import io.plumbline.registry.diff.VersionDiff;
import io.plumbline.registry.event.MetricEvents;
import io.plumbline.registry.metric.MetricEntity;
import io.plumbline.registry.metric.MetricMapping;
import io.plumbline.registry.metric.MetricRules;
import io.plumbline.registry.metric.MetricVersionEntity;
import io.plumbline.registry.metric.PublicationEntity;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Immutable versions of a metric: create on top of the head, publish, revert, read, history. */
@ApplicationScoped
public class VersionService {

    private final MetricEvents events;
    private final PublishedVersionCache cache;

    VersionService(MetricEvents events, PublishedVersionCache cache) {
        this.events = events;
        this.cache = cache;
    }

    public Uni<MetricVersion> create(CreateVersionRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        v.check(request.getParentVersion() < 1, "parent_version", "is required: the head version this one is based on");
        MetricRules.author(request.getAuthor(), "author", v);
        MetricRules.changeNote(request.getChangeNote(), "change_note", v);
        v.throwIfAny();
        return cache.changeThenForget(MetricEntity.parseId(request.getMetricId(), "metric_id"), () ->
                MetricEntity.lockForChange(request.getProjectId(), request.getMetricId())
                        .chain(metric -> versionByRun(metric, request.getAuthor()).chain(earlier -> earlier != null
                                ? Uni.createFrom().item(MetricMapping.toProto(earlier, metric.projectId))
                                : appendRequested(metric, request))));
    }

    private Uni<MetricVersion> appendRequested(MetricEntity metric, CreateVersionRequest request) {
        metric.requireActive();
        if (request.getParentVersion() != metric.headVersion) {
            throw staleParent(metric, request.getParentVersion());
        }
        Violations content = new Violations();
        MetricRules.content(request.getContent(), MetricMapping.toProto(metric).getOutputType(), "content", content);
        content.throwIfAny();
        return append(metric, request.getContent(), request.getAuthor(), request.getChangeNote())
                .call(version -> events.emit(MetricEvent.Type.TYPE_VERSION_CREATED, metric, version, request.getAuthor()))
                .call(version -> request.getPublish()
                        ? publish(metric, version, Publication.Kind.KIND_PUBLISH, 0, request.getAuthor())
                        : Uni.createFrom().voidItem())
                .map(version -> MetricMapping.toProto(version, metric.projectId));
    }

    /** The version an alignment run already made of this metric (so that a retried accept creates nothing twice). */
    private static Uni<MetricVersionEntity> versionByRun(MetricEntity metric, Author author) {
        if (!author.hasAlignmentRunId()) {
            return Uni.createFrom().nullItem();
        }
        return MetricVersionEntity.<MetricVersionEntity>find("metricId = ?1 and authorAlignmentRunId = ?2",
                metric.id, author.getAlignmentRunId()).firstResult();
    }

    public Uni<Metric> publish(PublishVersionRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        v.check(request.getVersion() < 1, "version", "is required: the version to publish");
        MetricRules.author(request.getActor(), "actor", v);
        v.throwIfAny();
        return cache.changeThenForget(MetricEntity.parseId(request.getMetricId(), "metric_id"), () ->
                MetricEntity.lockForChange(request.getProjectId(), request.getMetricId()).chain(metric -> {
            metric.requireActive();
            if (metric.publishedVersion == request.getVersion()) {
                return Uni.createFrom().item(MetricMapping.toProto(metric));
            }
            return findVersion(metric, request.getVersion())
                    .call(version -> publish(metric, version, Publication.Kind.KIND_PUBLISH, 0, request.getActor()))
                    .map(version -> MetricMapping.toProto(metric));
        }));
    }

    public Uni<MetricWithVersion> revert(RevertToVersionRequest request) {
        Violations v = new Violations();
        MetricRules.projectId(request.getProjectId(), v);
        v.check(request.getVersion() < 1, "version", "is required: the earlier version to restore");
        MetricRules.author(request.getActor(), "actor", v);
        MetricRules.changeNote(request.getChangeNote().isEmpty() ? "-" : request.getChangeNote(), "change_note", v);
        v.throwIfAny();
        return cache.changeThenForget(MetricEntity.parseId(request.getMetricId(), "metric_id"), () ->
                MetricEntity.lockForChange(request.getProjectId(), request.getMetricId()).chain(metric -> {
            metric.requireActive();
            if (request.getExpectedHeadVersion() != 0 && request.getExpectedHeadVersion() != metric.headVersion) {
                throw staleParent(metric, request.getExpectedHeadVersion());
            }
            String note = request.getChangeNote().isEmpty() ? "Revert to v" + request.getVersion() : request.getChangeNote();
            return findVersion(metric, request.getVersion())
                    .chain(earlier -> append(metric, MetricMapping.content(earlier), request.getActor(), note))
                    .call(version -> events.emit(MetricEvent.Type.TYPE_VERSION_CREATED, metric, version, request.getActor()))
                    .call(version -> publish(metric, version, Publication.Kind.KIND_REVERT, request.getVersion(),
                            request.getActor()))
                    .map(version -> withVersion(metric, version));
        }));
    }

    @WithSession
    public Uni<DiffVersionsResponse> diff(DiffVersionsRequest request) {
        Violations v = new Violations();
        v.check(request.getFromVersion() < 1, "from_version", "is required: a version number");
        v.check(request.getToVersion() < 1, "to_version", "is required: a version number");
        v.throwIfAny();
        return MetricEntity.findVisible(request.getProjectId(), request.getMetricId()).chain(metric ->
                findVersion(metric, request.getFromVersion()).chain(from ->
                        findVersion(metric, request.getToVersion()).map(to -> VersionDiff.between(
                                from.version, MetricMapping.content(from), to.version, MetricMapping.content(to)))));
    }

    @WithSession
    public Uni<MetricVersion> get(GetVersionRequest request) {
        return MetricEntity.findVisible(request.getProjectId(), request.getMetricId()).chain(metric -> {
            int wanted = request.getVersion() == 0 ? metric.publishedVersion : request.getVersion();
            return findVersion(metric, wanted).map(version -> MetricMapping.toProto(version, metric.projectId));
        });
    }

    /** The judge's read path: the metric and its published version, from memory when it can. */
    public Uni<MetricWithVersion> getPublished(GetPublishedVersionRequest request) {
        UUID id = MetricEntity.parseId(request.getMetricId(), "metric_id");
        return cache.get(id, () -> loadPublished(id)).map(published -> {
            if (!(published.getMetric().getBuiltin() || published.getMetric().getProjectId().equals(request.getProjectId()))) {
                throw notFound(request.getMetricId(), request.getProjectId());
            }
            if (published.getMetric().getPublishedVersion() == 0) {
                throw ApiException.failedPrecondition("metric " + published.getMetric().getName()
                        + " has no published version");
            }
            return published;
        });
    }

    @WithSession
    Uni<MetricWithVersion> loadPublished(UUID id) {
        return MetricEntity.<MetricEntity>findById(id).chain(m -> {
            if (m == null) {
                throw notFound(id.toString(), "");
            }
            return m.publishedVersion == 0
                    ? Uni.createFrom().item(MetricWithVersion.newBuilder().setMetric(MetricMapping.toProto(m)).build())
                    : findVersion(m, m.publishedVersion).map(version -> withVersion(m, version));
        });
    }

    private static ApiException notFound(String metricId, String projectId) {
        return ApiException.notFound("metric " + metricId + " does not exist in project \"" + projectId + "\"");
    }

    @WithSession
    public Uni<ListPublishedVersionsResponse> listPublished(ListPublishedVersionsRequest request) {
        int size = PageToken.pageSize(request.getPageSize(), 100, 500);
        String after = PageToken.decode(request.getPageToken());
        String query = "select m, v from MetricEntity m, MetricVersionEntity v"
                + " where v.metricId = m.id and v.version = m.publishedVersion and m.archived = false"
                + (request.getProjectId().isEmpty() ? "" : " and (m.projectId = :project or m.builtin = true)")
                + (after == null ? "" : " and m.id > :after")
                + " order by m.id";
        return Panache.getSession().chain(session -> {
            var select = session.createQuery(query, Object[].class).setMaxResults(size + 1);
            if (!request.getProjectId().isEmpty()) {
                select.setParameter("project", request.getProjectId());
            }
            if (after != null) {
                select.setParameter("after", MetricEntity.parseId(after, "page_token"));
            }
            return select.getResultList();
        }).map(rows -> {
            var response = ListPublishedVersionsResponse.newBuilder();
            rows.stream().limit(size).forEach(row -> response.addMetrics(
                    withVersion((MetricEntity) row[0], (MetricVersionEntity) row[1])));
            if (rows.size() > size) {
                response.setNextPageToken(PageToken.encode(((MetricEntity) rows.get(size - 1)[0]).id.toString()));
            }
            return response.build();
        });
    }

    @WithSession
    public Uni<ListVersionsResponse> list(ListVersionsRequest request) {
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        String after = PageToken.decode(request.getPageToken());
        return MetricEntity.findVisible(request.getProjectId(), request.getMetricId()).chain(metric -> {
            int below = after == null ? Integer.MAX_VALUE : parseVersionToken(after);
            return MetricVersionEntity.<MetricVersionEntity>find(
                            "metricId = ?1 and version < ?2 order by version desc", metric.id, below)
                    .page(0, size + 1).list()
                    .map(versions -> {
                        var response = ListVersionsResponse.newBuilder();
                        versions.stream().limit(size)
                                .forEach(version -> response.addVersions(MetricMapping.toProto(version, metric.projectId)));
                        if (versions.size() > size) {
                            response.setNextPageToken(PageToken.encode(Integer.toString(versions.get(size - 1).version)));
                        }
                        return response.build();
                    });
        });
    }

    @WithSession
    public Uni<ListPublicationsResponse> publications(ListPublicationsRequest request) {
        int size = PageToken.pageSize(request.getPageSize(), 50, 500);
        String after = PageToken.decode(request.getPageToken());
        return MetricEntity.findVisible(request.getProjectId(), request.getMetricId()).chain(metric -> {
            long below = after == null ? Long.MAX_VALUE : parseLongToken(after);
            return PublicationEntity.<PublicationEntity>find("metricId = ?1 and id < ?2 order by id desc", metric.id, below)
                    .page(0, size + 1).list()
                    .map(rows -> {
                        var response = ListPublicationsResponse.newBuilder();
                        rows.stream().limit(size).forEach(p -> response.addPublications(MetricMapping.toProto(p)));
                        if (rows.size() > size) {
                            response.setNextPageToken(PageToken.encode(Long.toString(rows.get(size - 1).id)));
                        }
                        return response.build();
                    });
        });
    }

    /**
     * Appends a version on top of the locked metric's head (the caller checked the parent) and moves the head. The
     * caller emits the event that fits (created, forked, version created).
     */
    public Uni<MetricVersionEntity> append(MetricEntity metric, VersionContent content, Author author, String changeNote) {
        MetricVersionEntity version = new MetricVersionEntity();
        version.metricId = metric.id;
        version.version = metric.headVersion + 1;
        version.parentVersion = metric.headVersion;
        MetricMapping.setContent(version, content);
        MetricMapping.setAuthor(version, author);
        version.changeNote = changeNote;
        version.createdAt = MetricMapping.now();
        metric.headVersion = version.version;
        metric.touch();
        return version.<MetricVersionEntity>persist();
    }

    /** Makes {@code version} the published one, records the publication and emits it. */
    public Uni<Void> publish(MetricEntity metric, MetricVersionEntity version, Publication.Kind kind, int revertedTo,
            Author actor) {
        return recordPublication(metric, version, kind, revertedTo, actor)
                .chain(() -> events.emit(MetricEvent.Type.TYPE_VERSION_PUBLISHED, metric, version, actor));
    }

    /** Makes {@code version} the published one and records the publication; the caller emits the event. */
    public Uni<Void> recordPublication(MetricEntity metric, MetricVersionEntity version, Publication.Kind kind,
            int revertedTo, Author actor) {
        PublicationEntity publication = new PublicationEntity();
        publication.metricId = metric.id;
        publication.version = version.version;
        publication.previousVersion = metric.publishedVersion;
        publication.kind = kind.name();
        publication.revertedToVersion = revertedTo;
        MetricMapping.setActor(publication, actor);
        publication.publishedAt = MetricMapping.now();
        metric.publishedVersion = version.version;
        metric.touch();
        return publication.persist().replaceWithVoid();
    }

    public static Uni<MetricVersionEntity> findVersion(MetricEntity metric, int number) {
        return MetricVersionEntity.<MetricVersionEntity>find("metricId = ?1 and version = ?2", metric.id, number)
                .firstResult()
                .map(version -> {
                    if (version == null) {
                        throw ApiException.notFound("metric " + metric.name + " has no version " + number
                                + " (its versions are 1 to " + metric.headVersion + ")");
                    }
                    return version;
                });
    }

    public static MetricWithVersion withVersion(MetricEntity metric, MetricVersionEntity version) {
        return MetricWithVersion.newBuilder().setMetric(MetricMapping.toProto(metric))
                .setVersion(MetricMapping.toProto(version, metric.projectId)).build();
    }

    private static ApiException staleParent(MetricEntity metric, int given) {
        return ApiException.aborted("version " + given + " is no longer the head of metric " + metric.name
                        + ": the head is version " + metric.headVersion + "; base the change on it and retry",
                Map.of("head_version", Integer.toString(metric.headVersion),
                        "revision", Long.toString(metric.revision)));
    }

    private static int parseVersionToken(String token) {
        try {
            return Integer.parseInt(token);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("page_token", "is not a token returned by this API");
        }
    }

    private static long parseLongToken(String token) {
        try {
            return Long.parseLong(token);
        } catch (NumberFormatException e) {
            throw ApiException.invalid("page_token", "is not a token returned by this API");
        }
    }

}
