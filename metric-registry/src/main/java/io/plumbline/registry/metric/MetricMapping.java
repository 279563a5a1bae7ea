package io.plumbline.registry.metric;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.proto.common.v1.Level;
import io.plumbline.proto.common.v1.MetricVersionRef;
import io.plumbline.proto.common.v1.ModelConfig;
import io.plumbline.proto.common.v1.OutputType;
import io.plumbline.proto.registry.v1.AlignmentPolicy;
import io.plumbline.proto.registry.v1.Author;
import io.plumbline.proto.registry.v1.Binding;
import io.plumbline.proto.registry.v1.FewShotExample;
import io.plumbline.proto.registry.v1.Guideline;
import io.plumbline.proto.registry.v1.Metric;
import io.plumbline.proto.registry.v1.MetricVersion;
import io.plumbline.proto.registry.v1.Publication;
import io.plumbline.proto.registry.v1.VersionContent;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/** Converts between rows and API messages. */
public final class MetricMapping {

    private static final ObjectMapper JSON = new ObjectMapper();

    private MetricMapping() {
    }

    public static Metric toProto(MetricEntity e) {
        var metric = Metric.newBuilder()
                .setId(e.id.toString())
                .setProjectId(e.projectId)
                .setName(e.name)
                .setDescription(e.description)
                .setLevel(Level.valueOf(e.level))
                .setOutputType(parse(e.outputTypeJson, OutputType.getDefaultInstance()))
                .setJudgeModel(parse(e.judgeModelJson, ModelConfig.getDefaultInstance()))
                .addAllBindings(parseList(e.bindingsJson, Binding.getDefaultInstance()))
                .setAlignmentPolicy(parse(e.alignmentPolicyJson, AlignmentPolicy.getDefaultInstance()))
                .setArchived(e.archived)
                .setBuiltin(e.builtin)
                .setPublishedVersion(e.publishedVersion)
                .setHeadVersion(e.headVersion)
                .setRevision(e.revision)
                .setCreateTime(timestamp(e.createdAt))
                .setUpdateTime(timestamp(e.updatedAt));
        if (e.forkedFromMetricId != null) {
            metric.setForkedFrom(MetricVersionRef.newBuilder().setMetricId(e.forkedFromMetricId.toString())
                    .setVersion(e.forkedFromVersion));
        }
        return metric.build();
    }

    public static MetricVersion toProto(MetricVersionEntity v, String projectId) {
        return MetricVersion.newBuilder()
                .setMetricId(v.metricId.toString())
                .setProjectId(projectId)
                .setVersion(v.version)
                .setPromptTemplate(v.promptTemplate)
                .addAllGuidelines(parseList(v.guidelinesJson, Guideline.getDefaultInstance()))
                .addAllExamples(parseList(v.examplesJson, FewShotExample.getDefaultInstance()))
                .setParentVersion(v.parentVersion)
                .setAuthor(author(v.authorUser, v.authorAlignmentRunId))
                .setChangeNote(v.changeNote)
                .setCreateTime(timestamp(v.createdAt))
                .setContentHash(v.contentHash)
                .build();
    }

    public static Publication toProto(PublicationEntity p) {
        return Publication.newBuilder()
                .setMetricId(p.metricId.toString())
                .setVersion(p.version)
                .setPreviousVersion(p.previousVersion)
                .setKind(Publication.Kind.valueOf(p.kind))
                .setRevertedToVersion(p.revertedToVersion)
                .setActor(author(p.actorUser, p.actorAlignmentRunId))
                .setPublishTime(timestamp(p.publishedAt))
                .build();
    }

    /** The content of a stored version, as a request would carry it. */
    public static VersionContent content(MetricVersionEntity v) {
        return VersionContent.newBuilder()
                .setPromptTemplate(v.promptTemplate)
                .addAllGuidelines(parseList(v.guidelinesJson, Guideline.getDefaultInstance()))
                .addAllExamples(parseList(v.examplesJson, FewShotExample.getDefaultInstance()))
                .build();
    }

    /** Fills a new version row's content columns and its content hash. */
    public static void setContent(MetricVersionEntity v, VersionContent content) {
        v.promptTemplate = content.getPromptTemplate();
        v.guidelinesJson = printList(content.getGuidelinesList());
        v.examplesJson = printList(content.getExamplesList());
        v.contentHash = contentHash(v.promptTemplate, v.guidelinesJson, v.examplesJson);
    }

    /**
     * SHA-256 (hex) of the stored content: template, guidelines JSON and examples JSON separated by the record separator
     * (U+001E). The built-in presets' migration computes the same in SQL.
     */
    public static String contentHash(String promptTemplate, String guidelinesJson, String examplesJson) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(
                    (promptTemplate + '\u001e' + guidelinesJson + '\u001e' + examplesJson).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static void setAuthor(MetricVersionEntity v, Author author) {
        v.authorUser = author.hasUser() ? author.getUser() : null;
        v.authorAlignmentRunId = author.hasAlignmentRunId() ? author.getAlignmentRunId() : null;
    }

    public static void setActor(PublicationEntity p, Author actor) {
        p.actorUser = actor.hasUser() ? actor.getUser() : null;
        p.actorAlignmentRunId = actor.hasAlignmentRunId() ? actor.getAlignmentRunId() : null;
    }

    public static Author author(String user, String alignmentRunId) {
        if (alignmentRunId != null) {
            return Author.newBuilder().setAlignmentRunId(alignmentRunId).build();
        }
        return user == null ? Author.getDefaultInstance() : Author.newBuilder().setUser(user).build();
    }

    public static String print(Message message) {
        return ProtoJson.print(message);
    }

    /** A JSON array of messages; "[]" when empty. */
    public static String printList(List<? extends Message> messages) {
        return messages.stream().map(MetricMapping::print).collect(Collectors.joining(",", "[", "]"));
    }

    static <T extends Message> T parse(String json, T prototype) {
        return ProtoJson.parse(json, prototype);
    }

    static <T extends Message> List<T> parseList(String jsonArray, T prototype) {
        try {
            List<T> messages = new ArrayList<>();
            for (JsonNode element : JSON.readTree(jsonArray)) {
                messages.add(parse(element.toString(), prototype));
            }
            return messages;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored JSON is not an array: " + jsonArray, e);
        }
    }

    /** Now, at the database's precision (microseconds), so that what a write returns equals what a read returns. */
    public static OffsetDateTime now() {
        return ProtoJson.now();
    }

    public static Timestamp timestamp(OffsetDateTime time) {
        return ProtoJson.timestamp(time);
    }
}
