package io.plumbline.k8s;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PodMonitor;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Validates Kubernetes objects against the schemas the API server would apply: the Kubernetes API types through
 * fabric8's models, Strimzi's custom resources through Strimzi's api models, and KEDA's and CloudNativePG's through
 * their CRDs' openAPIV3Schema (vendored under src/test/resources/crd). Unknown fields are errors, as under
 * {@code kubectl apply --validate=strict}, the default of current kubectl.
 */
final class Schemas {

    /** Objects typed by a Java model: the key is apiVersion + " " + kind. */
    private static final Map<String, Class<?>> MODELS = Map.ofEntries(
            Map.entry("v1 ConfigMap", ConfigMap.class),
            Map.entry("v1 Secret", Secret.class),
            Map.entry("v1 Service", Service.class),
            Map.entry("v1 Namespace", Namespace.class),
            Map.entry("apps/v1 Deployment", Deployment.class),
            Map.entry("policy/v1 PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2 HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("monitoring.coreos.com/v1 ServiceMonitor", ServiceMonitor.class),
            Map.entry("monitoring.coreos.com/v1 PodMonitor", PodMonitor.class),
            Map.entry("kafka.strimzi.io/v1beta2 Kafka", Kafka.class),
            Map.entry("kafka.strimzi.io/v1beta2 KafkaNodePool", KafkaNodePool.class),
            Map.entry("kafka.strimzi.io/v1beta2 KafkaTopic", KafkaTopic.class));

    /** Objects validated against a vendored CRD: the key is apiVersion + " " + kind, the value the CRD file. */
    private static final Map<String, String> CRDS = Map.of(
            "keda.sh/v1alpha1 ScaledObject", "crd/keda.sh_scaledobjects.yaml",
            "postgresql.cnpg.io/v1 Cluster", "crd/postgresql.cnpg.io_clusters.yaml");

    private final ObjectMapper mapper = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();
    private final Map<String, JsonSchema> crdSchemas = new java.util.HashMap<>();

    static String typeOf(JsonNode object) {
        return object.path("apiVersion").asText() + " " + object.path("kind").asText();
    }

    static String nameOf(JsonNode object) {
        return object.path("kind").asText() + "/" + object.path("metadata").path("name").asText();
    }

    /** What is wrong with one object; empty when it is valid. */
    List<String> validate(ObjectNode object) {
        String type = typeOf(object);
        List<String> problems = new ArrayList<>();
        Class<?> model = MODELS.get(type);
        if (model != null) {
            problems.addAll(validateWithModel(object, model));
        } else if (CRDS.containsKey(type)) {
            problems.addAll(validateWithModel(object.path("metadata"), ObjectMeta.class).stream()
                    .map(p -> "metadata: " + p).toList());
            for (ValidationMessage message : crdSchema(type).validate(object)) {
                problems.add(message.getMessage());
            }
        } else {
            problems.add("no schema known for " + type + " (add a model or a vendored CRD to " + Schemas.class.getName() + ")");
        }
        problems.addAll(names(object));
        return problems;
    }

    private static final Pattern DNS_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern LABEL_VALUE =
            Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    /** The API server's rules for names the schemas only type as strings: object names, labels, port names. */
    private static List<String> names(JsonNode object) {
        List<String> problems = new ArrayList<>();
        String name = object.path("metadata").path("name").asText();
        if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
            problems.add("metadata.name '" + name + "' is not a DNS subdomain");
        }
        List<JsonNode> labelMaps = new ArrayList<>();
        labelMaps.add(object.path("metadata").path("labels"));
        labelMaps.add(object.path("spec").path("template").path("metadata").path("labels"));
        for (JsonNode labels : labelMaps) {
            labels.fields().forEachRemaining(label -> {
                String key = label.getKey();
                String keyName = key.substring(key.indexOf('/') + 1);
                if (keyName.isEmpty() || keyName.length() > 63 || !LABEL_VALUE.matcher(keyName).matches()
                        || key.contains("/") && !DNS_SUBDOMAIN.matcher(key.substring(0, key.indexOf('/'))).matches()) {
                    problems.add("label key '" + key + "' is not valid");
                }
                String value = label.getValue().asText();
                if (!label.getValue().isTextual() || value.length() > 63 || !LABEL_VALUE.matcher(value).matches()) {
                    problems.add("label " + key + " has an invalid value '" + value + "'");
                }
            });
        }
        List<JsonNode> ports = new ArrayList<>();
        object.path("spec").path("ports").forEach(ports::add);
        object.path("spec").path("template").path("spec").path("containers").forEach(c -> c.path("ports").forEach(ports::add));
        for (JsonNode port : ports) {
            String portName = port.path("name").asText();
            if (port.has("name") && (portName.length() > 15 || !PORT_NAME.matcher(portName).matches()
                    || !portName.matches(".*[a-z].*"))) {
                problems.add("port name '" + portName + "' is not an IANA service name (at most 15 characters: a-z, 0-9, -)");
            }
        }
        return problems;
    }

    private List<String> validateWithModel(JsonNode json, Class<?> model) {
        Object typed;
        try {
            typed = mapper.treeToValue(json, model);
        } catch (IOException e) {
            String where = e instanceof JsonMappingException mapping ? mapping.getPath().stream()
                    .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining()) : "";
            String message = e instanceof JsonMappingException mapping ? mapping.getOriginalMessage() : e.getMessage();
            return List.of(where + ": " + message.lines().findFirst().orElse(e.toString()));
        }
        List<String> problems = new ArrayList<>();
        unknownFields(typed, "", problems, 0);
        // Whatever the model did not take in as written (a value of another type, a dropped field) shows as a difference.
        // apiVersion is left out: it chose the model (MODELS), and Strimzi's classes name their newest version (e.g. the
        // KafkaTopic model of 0.50 says v1 while v1beta2, which it also serves with the same fields, is what we write).
        JsonNode read = mapper.valueToTree(typed);
        if (json.isObject() && read.isObject()) {
            ((ObjectNode) read).set("apiVersion", json.get("apiVersion"));
        }
        differences(json, read, "", problems);
        return problems;
    }

    /** fabric8's and Strimzi's models keep unknown fields in additionalProperties instead of failing: find them. */
    private static void unknownFields(Object value, String path, List<String> problems, int depth) {
        if (value == null || depth > 40) {
            return;
        }
        if (value instanceof Collection<?> collection) {
            int i = 0;
            for (Object item : collection) {
                unknownFields(item, path + "[" + i++ + "]", problems, depth + 1);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> unknownFields(item, path + "." + key, problems, depth + 1));
            return;
        }
        String pkg = value.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.") && !pkg.startsWith("io.strimzi.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
                continue;
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add("unknown field(s) " + extra.keySet() + " at " + (path.isEmpty() ? "." : path));
                }
                continue;
            }
            String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
            unknownFields(child, path + "." + field, problems, depth + 1);
        }
    }

    /** Every value written must come back from the model unchanged (the model may add defaults and empty lists). */
    private static void differences(JsonNode written, JsonNode read, String path, List<String> problems) {
        if (written.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = written.fields(); it.hasNext(); ) {
                var field = it.next();
                JsonNode back = read.path(field.getKey());
                if (back.isMissingNode()) {
                    if (!isDefaultValue(field.getValue())) {
                        problems.add("field " + path + "." + field.getKey() + " is not part of the schema, or the model"
                                + " drops it (as Strimzi's do with a value equal to the default: leave it out)");
                    }
                } else {
                    differences(field.getValue(), back, path + "." + field.getKey(), problems);
                }
            }
        } else if (written.isArray()) {
            if (!read.isArray() || read.size() != written.size()) {
                problems.add(path + ": expected a list of " + written.size() + ", the model read " + read);
                return;
            }
            for (int i = 0; i < written.size(); i++) {
                differences(written.get(i), read.get(i), path + "[" + i + "]", problems);
            }
        } else if (!sameScalar(written, read)) {
            problems.add(path + ": wrote " + written + " but the model read " + read);
        }
    }

    /** Models leave out values equal to their defaults when they write (false, 0, empty). */
    private static boolean isDefaultValue(JsonNode value) {
        return value.isNull() || value.isBoolean() && !value.asBoolean() || value.isNumber() && value.asDouble() == 0
                || value.isContainerNode() && value.isEmpty() || value.isTextual() && value.asText().isEmpty();
    }

    private static boolean sameScalar(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isNumber() && b.isTextual()) {
            // int-or-string fields (quantities, ports) accept both and keep the text
            return a.asText().equals(b.asText());
        }
        return a.equals(b);
    }

    private JsonSchema crdSchema(String type) {
        return crdSchemas.computeIfAbsent(type, t -> {
            String file = CRDS.get(t);
            String version = t.substring(t.indexOf('/') + 1, t.indexOf(' '));
            try (InputStream in = Schemas.class.getClassLoader().getResourceAsStream(file)) {
                if (in == null) {
                    throw new IllegalStateException("missing test resource " + file);
                }
                JsonNode crd = Kustomize.YAML.readTree(in);
                for (JsonNode v : crd.path("spec").path("versions")) {
                    if (v.path("name").asText().equals(version)) {
                        JsonNode schema = strict(v.path("schema").path("openAPIV3Schema").deepCopy());
                        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(schema);
                    }
                }
                throw new IllegalStateException(file + " has no version " + version);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + file, e);
            }
        });
    }

    /**
     * A CRD's structural schema as JSON Schema draft 4 with the API server's strict semantics: objects with declared
     * properties take no others (unless x-kubernetes-preserve-unknown-fields), int-or-string accepts both.
     */
    static JsonNode strict(JsonNode schema) {
        if (schema.isArray()) {
            schema.forEach(Schemas::strict);
            return schema;
        }
        if (!schema.isObject()) {
            return schema;
        }
        ObjectNode node = (ObjectNode) schema;
        boolean preserve = node.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (node.path("x-kubernetes-int-or-string").asBoolean(false) && !node.has("anyOf")) {
            ArrayNode anyOf = node.putArray("anyOf");
            anyOf.addObject().put("type", "integer");
            anyOf.addObject().put("type", "string");
            node.remove("type");
        }
        if (node.has("properties") && !node.has("additionalProperties") && !preserve) {
            node.put("additionalProperties", false);
        }
        // Keywords of OpenAPI/Kubernetes that draft 4 does not know: drop them (formats like int32 are not checked).
        List<String> drop = new ArrayList<>();
        node.fieldNames().forEachRemaining(name -> {
            if (name.startsWith("x-kubernetes-") || name.equals("format") || name.equals("default")
                    || name.equals("nullable") || name.equals("description")) {
                drop.add(name);
            }
        });
        drop.forEach(node::remove);
        for (String key : List.of("properties", "patternProperties")) {
            if (node.has(key)) {
                node.get(key).forEach(Schemas::strict);
            }
        }
        for (String key : List.of("items", "additionalProperties", "anyOf", "allOf", "oneOf", "not")) {
            if (node.has(key)) {
                strict(node.get(key));
            }
        }
        return node;
    }
}
