package io.plumbline.annotation.imports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.plumbline.proto.annotation.v1.ImportError;
import io.plumbline.proto.annotation.v1.LabelFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a label file (RFC 4180 CSV with a header row, or JSON Lines) into rows with their line numbers. Values stay
 * text here (JSONL booleans and numbers as their JSON text); {@link LabelImport} types them by the evaluation's output
 * type.
 */
final class LabelFile {

    static final List<String> COLUMNS = List.of("evaluation_id", "record_id", "metric", "reviewer", "value", "critique", "tags");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One row: its line (where it starts) and its columns. */
    record Row(long line, Map<String, String> fields, List<String> tags) {
        String get(String column) {
            return fields.getOrDefault(column, "");
        }
    }

    /** The rows, and the errors of rows that could not even be read. */
    record Parsed(List<Row> rows, List<ImportError> errors) {
    }

    private LabelFile() {
    }

    static Parsed parse(LabelFormat format, String content) {
        return format == LabelFormat.LABEL_FORMAT_CSV ? csv(content) : jsonl(content);
    }

    private static Parsed jsonl(String content) {
        List<Row> rows = new ArrayList<>();
        List<ImportError> errors = new ArrayList<>();
        String[] lines = content.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            try {
                JsonNode node = JSON.readTree(line);
                if (!node.isObject()) {
                    errors.add(error(i + 1, "", "is not a JSON object"));
                    continue;
                }
                Map<String, String> fields = new HashMap<>();
                List<String> tags = new ArrayList<>();
                var names = node.fieldNames();
                String unknown = null;
                while (names.hasNext()) {
                    String name = names.next();
                    JsonNode v = node.get(name);
                    if (name.equals("tags")) {
                        if (v.isArray()) {
                            v.forEach(t -> tags.add(t.asText()));
                        } else if (!v.isNull()) {
                            unknown = "tags must be an array of strings";
                        }
                    } else if (COLUMNS.contains(name)) {
                        fields.put(name, v.isNull() ? "" : v.isTextual() ? v.asText() : v.toString());
                    } else {
                        unknown = "unknown key \"" + name + "\"; keys are " + COLUMNS;
                    }
                }
                if (unknown != null) {
                    errors.add(error(i + 1, "", unknown));
                    continue;
                }
                rows.add(new Row(i + 1, fields, tags));
            } catch (Exception e) {
                errors.add(error(i + 1, "", "is not valid JSON: " + e.getMessage().lines().findFirst().orElse("")));
            }
        }
        return new Parsed(rows, errors);
    }

    private static Parsed csv(String content) {
        List<Row> rows = new ArrayList<>();
        List<ImportError> errors = new ArrayList<>();
        List<Record> records = records(content, errors);
        if (records.isEmpty()) {
            return new Parsed(rows, errors);
        }
        List<String> header = records.get(0).fields().stream().map(String::strip).toList();
        for (String h : header) {
            if (!COLUMNS.contains(h)) {
                errors.add(error(1, h, "is not a column; columns are " + COLUMNS));
                return new Parsed(rows, errors);
            }
        }
        for (Record r : records.subList(1, records.size())) {
            if (r.fields().size() == 1 && r.fields().get(0).isBlank()) {
                continue;
            }
            if (r.fields().size() != header.size()) {
                errors.add(error(r.line(), "", "has " + r.fields().size() + " fields; the header has " + header.size()));
                continue;
            }
            Map<String, String> fields = new HashMap<>();
            for (int i = 0; i < header.size(); i++) {
                fields.put(header.get(i), r.fields().get(i));
            }
            String tags = fields.remove("tags");
            rows.add(new Row(r.line(), fields, tags == null || tags.isBlank() ? List.of()
                    : Arrays.stream(tags.split(";")).map(String::strip).toList()));
        }
        return new Parsed(rows, errors);
    }

    private record Record(long line, List<String> fields) {
    }

    /** RFC 4180 records: quoted fields may hold commas, doubled quotes and line breaks. */
    private static List<Record> records(String content, List<ImportError> errors) {
        List<Record> records = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        long line = 1;
        long recordLine = 1;
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < content.length() && content.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
            } else if (c == '"' && field.isEmpty()) {
                quoted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < content.length() && content.charAt(i + 1) == '\n') {
                    i++;
                }
                fields.add(field.toString());
                field.setLength(0);
                records.add(new Record(recordLine, List.copyOf(fields)));
                fields.clear();
                line++;
                recordLine = line;
            } else {
                field.append(c);
            }
        }
        if (quoted) {
            errors.add(error(recordLine, "", "has a quoted field that never ends"));
        } else if (!field.isEmpty() || !fields.isEmpty()) {
            fields.add(field.toString());
            records.add(new Record(recordLine, List.copyOf(fields)));
        }
        return records;
    }

    static ImportError error(long line, String field, String reason) {
        return ImportError.newBuilder().setLine(line).setField(field).setReason(reason).build();
    }
}
