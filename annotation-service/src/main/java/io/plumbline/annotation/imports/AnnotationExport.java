package io.plumbline.annotation.imports;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.util.Timestamps;
import io.plumbline.annotation.queue.QueueEntity;
import io.plumbline.annotation.resolution.AnnotationEntity;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.metric.OutputTypes;
import io.plumbline.proto.annotation.v1.Annotation;
import io.plumbline.proto.annotation.v1.Critique;
import io.plumbline.proto.annotation.v1.ExportAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ExportChunk;
import io.plumbline.proto.annotation.v1.LabelFormat;
import io.plumbline.proto.common.v1.MetricValue;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports resolved annotations as CSV (with a header row) or JSON Lines, in chunks of whole rows of at most 1 MB:
 * concatenated in order they give the file. The annotations are read in one query (newest change first), which bounds
 * an export by memory; paging through the table is the next step for very large projects.
 */
@ApplicationScoped
public class AnnotationExport {

    static final int MAX_CHUNK = 1 << 20;
    static final List<String> COLUMNS = List.of("annotation_id", "evaluation_id", "record_id", "level", "trace_id",
            "span_id", "session_id", "metric_id", "metric_version", "judge_value", "judge_reasoning", "expected_value",
            "judge_correct", "rule", "reviewers", "critiques", "resolve_time", "update_time");
    private static final ObjectMapper JSON = new ObjectMapper();

    @WithSession
    public Uni<List<ExportChunk>> export(ExportAnnotationsRequest r) {
        if (r.getFormat() == LabelFormat.LABEL_FORMAT_UNSPECIFIED || r.getFormat() == LabelFormat.UNRECOGNIZED) {
            throw ApiException.invalid("format", "is required: LABEL_FORMAT_CSV or LABEL_FORMAT_JSONL");
        }
        StringBuilder q = new StringBuilder("projectId = :project");
        Map<String, Object> p = new HashMap<>();
        p.put("project", r.getProjectId());
        if (!r.getMetricId().isEmpty()) {
            q.append(" and metricId = :metric");
            p.put("metric", r.getMetricId());
        }
        if (!r.getQueueId().isEmpty()) {
            q.append(" and queueId = :queue");
            p.put("queue", QueueEntity.parseId(r.getQueueId(), "queue_id"));
        }
        if (r.hasUpdateTime() && r.getUpdateTime().hasStartTime()) {
            q.append(" and updatedAt >= :from");
            p.put("from", ProtoJson.offsetDateTime(r.getUpdateTime().getStartTime()));
        }
        if (r.hasUpdateTime() && r.getUpdateTime().hasEndTime()) {
            q.append(" and updatedAt < :to");
            p.put("to", ProtoJson.offsetDateTime(r.getUpdateTime().getEndTime()));
        }
        q.append(" order by updatedAt desc, id desc");
        boolean csv = r.getFormat() == LabelFormat.LABEL_FORMAT_CSV;
        return AnnotationEntity.<AnnotationEntity>list(q.toString(), p).map(rows -> {
            List<byte[]> lines = new ArrayList<>();
            for (AnnotationEntity row : rows) {
                lines.add((csv ? csvRow(row.toProto()) : jsonRow(row.toProto())).getBytes(StandardCharsets.UTF_8));
            }
            byte[] header = csv ? (String.join(",", COLUMNS) + "\n").getBytes(StandardCharsets.UTF_8) : new byte[0];
            return chunks(header, lines);
        });
    }

    static List<ExportChunk> chunks(byte[] header, List<byte[]> lines) {
        List<ExportChunk> chunks = new ArrayList<>();
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        current.writeBytes(header);
        long rowsInChunk = 0;
        for (byte[] line : lines) {
            if (rowsInChunk > 0 && current.size() + line.length > MAX_CHUNK) {
                chunks.add(ExportChunk.newBuilder().setData(ByteString.copyFrom(current.toByteArray()))
                        .setRows(rowsInChunk).build());
                current.reset();
                rowsInChunk = 0;
            }
            current.writeBytes(line);
            rowsInChunk++;
        }
        chunks.add(ExportChunk.newBuilder().setData(ByteString.copyFrom(current.toByteArray())).setRows(rowsInChunk)
                .setLast(true).setTotalRows(lines.size()).build());
        return chunks;
    }

    private static List<String> fields(Annotation a) {
        return List.of(a.getId(), a.getEvaluationId(), a.getRecord().getRecordId(), a.getRecord().getLevel().name(),
                a.getRecord().getTraceId(), a.getRecord().getSpanId(), a.getRecord().getSessionId(),
                a.getMetricVersion().getMetricId(), Integer.toString(a.getMetricVersion().getVersion()),
                OutputTypes.format(a.getJudgeValue()), a.getJudgeReasoning(), OutputTypes.format(a.getExpectedValue()),
                Boolean.toString(a.getJudgeCorrect()), a.getRule().name(), String.join(";", a.getReviewerIdsList()),
                critiques(a).toString(), Timestamps.toString(a.getResolveTime()), Timestamps.toString(a.getUpdateTime()));
    }

    private static String csvRow(Annotation a) {
        StringBuilder sb = new StringBuilder();
        List<String> fields = fields(a);
        for (int i = 0; i < fields.size(); i++) {
            String f = fields.get(i);
            sb.append(i == 0 ? "" : ",");
            if (f.contains(",") || f.contains("\"") || f.contains("\n") || f.contains("\r")) {
                sb.append('"').append(f.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(f);
            }
        }
        return sb.append('\n').toString();
    }

    private static String jsonRow(Annotation a) {
        ObjectNode row = JSON.createObjectNode();
        List<String> fields = fields(a);
        for (int i = 0; i < COLUMNS.size(); i++) {
            row.put(COLUMNS.get(i), fields.get(i));
        }
        row.put("metric_version", a.getMetricVersion().getVersion());
        row.set("judge_value", value(a.getJudgeValue()));
        row.set("expected_value", value(a.getExpectedValue()));
        row.put("judge_correct", a.getJudgeCorrect());
        ArrayNode reviewers = row.putArray("reviewers");
        a.getReviewerIdsList().forEach(reviewers::add);
        row.set("critiques", critiques(a));
        return row.toString() + "\n";
    }

    private static ArrayNode critiques(Annotation a) {
        ArrayNode critiques = JsonNodeFactory.instance.arrayNode();
        for (Critique c : a.getCritiquesList()) {
            ObjectNode node = critiques.addObject();
            node.put("reviewer", c.getReviewerId());
            node.put("verdict", c.getVerdict().name());
            node.set("value", value(c.getValue()));
            node.put("critique", c.getCritique());
            ArrayNode tags = node.putArray("tags");
            c.getTagsList().forEach(tags::add);
        }
        return critiques;
    }

    private static com.fasterxml.jackson.databind.JsonNode value(MetricValue v) {
        var f = JsonNodeFactory.instance;
        return switch (v.getValueCase()) {
            case BOOLEAN -> f.booleanNode(v.getBoolean());
            case CATEGORICAL -> f.textNode(v.getCategorical());
            case PERCENTAGE -> f.numberNode(v.getPercentage());
            case COUNT -> f.numberNode(v.getCount());
            case DISCRETE -> f.numberNode(v.getDiscrete());
            case VALUE_NOT_SET -> f.nullNode();
        };
    }
}
