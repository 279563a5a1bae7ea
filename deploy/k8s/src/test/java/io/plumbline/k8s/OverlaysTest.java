package io.plumbline.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.plumbline.common.kafka.Topic;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Renders every overlay under deploy/k8s/overlays with the kubectl on PATH and checks what a cluster would get: every
 * object valid against its schema, and the properties that matter for running Plumbline safely.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OverlaysTest {

    static final Path MODULE = Path.of("").toAbsolutePath();
    static final Path REPO = MODULE.resolve("../..").normalize();
    static final Path OVERLAYS = MODULE.resolve("overlays");
    static final List<String> SERVICES = List.of("metric-registry", "judge-service", "annotation-service", "alignment-service");
    /** The services and the console: every application that runs in the cluster. */
    static final List<String> APPLICATIONS = Stream.concat(SERVICES.stream(), Stream.of("console")).toList();

    /** The Secret and keys CloudNativePG writes for a Cluster named X: X-app. */
    static final Set<String> CNPG_APP_SECRET_KEYS = Set.of("username", "password", "host", "port", "dbname", "uri",
            "jdbc-uri", "pgpass", "fqdn-uri", "fqdn-jdbc-uri");

    private final Map<String, String> rendered = new LinkedHashMap<>();
    private final Map<String, List<ObjectNode>> objects = new LinkedHashMap<>();

    @BeforeAll
    void render() throws IOException {
        Path kubectl = Kustomize.kubectl();
        for (String overlay : overlays().toList()) {
            String yaml = Kustomize.render(kubectl, OVERLAYS.resolve(overlay));
            rendered.put(overlay, yaml);
            objects.put(overlay, Kustomize.objects(yaml));
        }
    }

    static Stream<String> overlays() throws IOException {
        try (Stream<Path> dirs = Files.list(OVERLAYS)) {
            List<String> names = dirs.filter(d -> Files.exists(d.resolve("kustomization.yaml")))
                    .map(d -> d.getFileName().toString()).sorted().toList();
            assertTrue(names.containsAll(List.of("dev", "production")), "overlays found: " + names);
            return names.stream();
        }
    }

    @Test
    void everyOverlayIsRendered() {
        assertEquals(Set.of("dev", "production"), objects.keySet().stream().collect(Collectors.toSet()));
        objects.forEach((overlay, list) -> assertFalse(list.isEmpty(), overlay + " rendered nothing"));
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyObjectIsValidAgainstItsSchema(String overlay) {
        Schemas schemas = new Schemas();
        List<String> problems = new ArrayList<>();
        for (ObjectNode object : objects.get(overlay)) {
            for (String problem : schemas.validate(object)) {
                problems.add(Schemas.nameOf(object) + ": " + problem);
            }
            if (!object.path("metadata").path("namespace").asText().equals("plumbline")
                    && !object.path("kind").asText().equals("Namespace")) {
                problems.add(Schemas.nameOf(object) + ": not in the plumbline namespace");
            }
        }
        assertEquals(List.of(), problems, overlay + ": objects that the API server would refuse");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyApplicationHasAHardenedDeployment(String overlay) {
        List<String> problems = new ArrayList<>();
        for (String service : APPLICATIONS) {
            JsonNode deployment = find(overlay, "Deployment", service);
            if (deployment == null) {
                problems.add("no Deployment " + service);
                continue;
            }
            JsonNode pod = deployment.path("spec").path("template").path("spec");
            if (deployment.path("spec").has("replicas")) {
                problems.add(service + ": sets replicas, which its autoscaler owns (each apply would reset them)");
            }
            if (!pod.path("securityContext").path("runAsNonRoot").asBoolean(false)) {
                problems.add(service + ": pod securityContext.runAsNonRoot is not true");
            }
            if (!pod.path("securityContext").path("seccompProfile").path("type").asText().equals("RuntimeDefault")) {
                problems.add(service + ": pod seccompProfile is not RuntimeDefault");
            }
            Map<String, String> emptyDirs = new HashMap<>();
            pod.path("volumes").forEach(v -> {
                if (v.has("emptyDir")) {
                    emptyDirs.put(v.path("name").asText(), "emptyDir");
                }
            });
            for (JsonNode container : pod.path("containers")) {
                String where = service + "/" + container.path("name").asText();
                Set<String> ports = new TreeSet<>();
                container.path("ports").forEach(p -> ports.add(p.path("name").asText()));
                checkProbe(where, container.path("readinessProbe"), "/q/health/ready", ports, problems);
                checkProbe(where, container.path("livenessProbe"), "/q/health/live", ports, problems);
                for (String kind : List.of("requests", "limits")) {
                    for (String resource : List.of("cpu", "memory")) {
                        if (container.path("resources").path(kind).path(resource).asText().isEmpty()) {
                            problems.add(where + ": no resources." + kind + "." + resource);
                        }
                    }
                }
                for (String resource : List.of("cpu", "memory")) {
                    double request = Quantities.parse(container.path("resources").path("requests").path(resource).asText("0"));
                    double limit = Quantities.parse(container.path("resources").path("limits").path(resource).asText("0"));
                    if (request > limit) {
                        problems.add(where + ": " + resource + " request above its limit");
                    }
                }
                JsonNode security = container.path("securityContext");
                if (!security.path("readOnlyRootFilesystem").asBoolean(false)) {
                    problems.add(where + ": root filesystem is not read-only");
                }
                if (security.path("allowPrivilegeEscalation").asBoolean(true)) {
                    problems.add(where + ": allowPrivilegeEscalation is not false");
                }
                if (security.path("runAsNonRoot").isBoolean() && !security.path("runAsNonRoot").asBoolean()) {
                    problems.add(where + ": container runAsNonRoot is false");
                }
                Set<String> dropped = new TreeSet<>();
                security.path("capabilities").path("drop").forEach(c -> dropped.add(c.asText()));
                if (!dropped.contains("ALL") || security.path("capabilities").has("add")) {
                    problems.add(where + ": capabilities are not drop [ALL] (nothing added)");
                }
                boolean tmp = false;
                for (JsonNode mount : container.path("volumeMounts")) {
                    tmp |= mount.path("mountPath").asText().equals("/tmp")
                            && emptyDirs.containsKey(mount.path("name").asText());
                }
                if (!tmp) {
                    problems.add(where + ": no emptyDir on /tmp (the JVM needs it with a read-only root)");
                }
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    private static void checkProbe(String where, JsonNode probe, String path, Set<String> ports, List<String> problems) {
        if (probe.isMissingNode()) {
            problems.add(where + ": no probe for " + path);
            return;
        }
        if (!probe.path("httpGet").path("path").asText().equals(path)) {
            problems.add(where + ": probe does not ask " + path + " but " + probe.path("httpGet").path("path").asText());
        }
        if (!ports.contains(probe.path("httpGet").path("port").asText())) {
            problems.add(where + ": probe port " + probe.path("httpGet").path("port") + " is not a container port name");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyServiceSelectsADeploymentAndNamesItsPorts(String overlay) {
        List<String> problems = new ArrayList<>();
        for (JsonNode service : ofKind(overlay, "Service")) {
            Map<String, String> selector = strings(service.path("spec").path("selector"));
            List<JsonNode> selected = ofKind(overlay, "Deployment").stream()
                    .filter(d -> matches(selector, d.path("spec").path("template").path("metadata").path("labels")))
                    .toList();
            String name = service.path("metadata").path("name").asText();
            if (selector.isEmpty() || selected.size() != 1) {
                problems.add(name + ": selects " + selected.size() + " Deployments with " + selector);
                continue;
            }
            Set<String> containerPorts = new TreeSet<>();
            selected.get(0).path("spec").path("template").path("spec").path("containers")
                    .forEach(c -> c.path("ports").forEach(p -> containerPorts.add(p.path("name").asText())));
            Set<String> portNames = new TreeSet<>();
            for (JsonNode port : service.path("spec").path("ports")) {
                portNames.add(port.path("name").asText());
                if (!containerPorts.contains(port.path("targetPort").asText())) {
                    problems.add(name + ": port " + port.path("name").asText() + " targets " + port.path("targetPort")
                            + ", not a named container port " + containerPorts);
                }
            }
            // The services serve gRPC and HTTP on one port; the console serves browsers.
            Set<String> required = SERVICES.contains(name) ? Set.of("http", "grpc") : Set.of("http");
            if (!portNames.containsAll(required)) {
                problems.add(name + ": ports " + portNames + " lack one of " + required);
            }
        }
        for (String service : APPLICATIONS) {
            if (find(overlay, "Service", service) == null) {
                problems.add("no Service " + service);
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void prometheusScrapesTheMetricsOfEveryApplicationAndNothingElse(String overlay) {
        for (JsonNode podMonitor : ofKind(overlay, "PodMonitor")) {
            String scraped = podMonitor.path("spec").path("selector").path("matchLabels").path("strimzi.io/name").asText();
            assertTrue(ofKind(overlay, "Kafka").stream().anyMatch(k -> scraped.equals(
                            k.path("metadata").path("name").asText() + "-kafka-exporter") && k.path("spec").has("kafkaExporter")),
                    Schemas.nameOf(podMonitor) + " scrapes the Kafka exporter of a Kafka that runs one");
        }
        List<JsonNode> monitors = ofKind(overlay, "ServiceMonitor");
        assertEquals(1, monitors.size(), "one ServiceMonitor");
        JsonNode spec = monitors.get(0).path("spec");
        Map<String, String> matchLabels = strings(spec.path("selector").path("matchLabels"));
        Set<String> scraped = new TreeSet<>();
        for (JsonNode service : ofKind(overlay, "Service")) {
            JsonNode labels = service.path("metadata").path("labels");
            boolean selected = matches(matchLabels, labels);
            for (JsonNode expression : spec.path("selector").path("matchExpressions")) {
                assertEquals("In", expression.path("operator").asText(), "only In expressions are checked here");
                Set<String> values = new TreeSet<>();
                expression.path("values").forEach(v -> values.add(v.asText()));
                selected &= values.contains(labels.path(expression.path("key").asText()).asText());
            }
            if (selected) {
                scraped.add(service.path("metadata").path("name").asText());
                for (JsonNode endpoint : spec.path("endpoints")) {
                    boolean hasPort = false;
                    for (JsonNode port : service.path("spec").path("ports")) {
                        hasPort |= port.path("name").asText().equals(endpoint.path("port").asText());
                    }
                    assertTrue(hasPort, Schemas.nameOf(service) + " has the scraped port " + endpoint.path("port"));
                    assertEquals("/q/metrics", endpoint.path("path").asText());
                }
            }
        }
        assertEquals(new TreeSet<>(APPLICATIONS), scraped, "the Services the ServiceMonitor selects");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyDeploymentHasADisruptionBudgetAndOneAutoscaler(String overlay) throws IOException {
        List<String> problems = new ArrayList<>();
        for (JsonNode deployment : ofKind(overlay, "Deployment")) {
            String name = deployment.path("metadata").path("name").asText();
            JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
            long budgets = ofKind(overlay, "PodDisruptionBudget").stream()
                    .filter(p -> matches(strings(p.path("spec").path("selector").path("matchLabels")), labels)).count();
            if (budgets != 1) {
                problems.add(name + ": " + budgets + " PodDisruptionBudgets select it");
            }
            List<JsonNode> scalers = new ArrayList<>();
            for (String kind : List.of("HorizontalPodAutoscaler", "ScaledObject")) {
                ofKind(overlay, kind).stream()
                        .filter(s -> s.path("spec").path("scaleTargetRef").path("name").asText().equals(name))
                        .forEach(scalers::add);
            }
            if (scalers.size() != 1) {
                problems.add(name + ": " + scalers.size() + " autoscalers target it");
            }
        }
        assertEquals(List.of(), problems, overlay);

        // The judge scales on its own consumer group's lag on otlp_spans, never beyond the topic's partitions.
        JsonNode judge = find(overlay, "ScaledObject", "judge-service");
        assertTrue(judge != null, "judge-service is scaled by a KEDA ScaledObject");
        JsonNode kafka = null;
        for (JsonNode trigger : judge.path("spec").path("triggers")) {
            if (trigger.path("type").asText().equals("kafka")) {
                kafka = trigger.path("metadata");
            }
        }
        assertTrue(kafka != null, "judge-service's ScaledObject has a kafka trigger");
        Properties judgeConfig = properties(REPO.resolve("judge-service/src/main/resources/application.properties"));
        assertEquals(judgeConfig.getProperty("mp.messaging.incoming.otlp-spans.group.id"), kafka.path("consumerGroup").asText());
        assertEquals(Topic.OTLP_SPANS.topicName(), kafka.path("topic").asText());
        assertEquals(configValue(overlay, "plumbline-config", "KAFKA_BOOTSTRAP_SERVERS"), kafka.path("bootstrapServers").asText());
        assertTrue(judge.path("spec").path("maxReplicaCount").asInt() <= Topic.OTLP_SPANS.partitions(),
                "more judge replicas than otlp_spans partitions would idle");
        for (JsonNode hpa : ofKind(overlay, "HorizontalPodAutoscaler")) {
            assertEquals("cpu", hpa.path("spec").path("metrics").path(0).path("resource").path("name").asText(),
                    Schemas.nameOf(hpa) + " scales on CPU");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void kafkaTopicsAreThePlatformsTopicsWithTheirDeadLetterTwins(String overlay) {
        List<JsonNode> kafkas = ofKind(overlay, "Kafka");
        assertEquals(1, kafkas.size(), "one Kafka cluster");
        String cluster = kafkas.get(0).path("metadata").path("name").asText();
        assertEquals("enabled", kafkas.get(0).path("metadata").path("annotations").path("strimzi.io/kraft").asText(), "KRaft");
        int brokers = ofKind(overlay, "KafkaNodePool").stream()
                .filter(p -> p.path("metadata").path("labels").path("strimzi.io/cluster").asText().equals(cluster))
                .filter(p -> p.path("spec").path("roles").toString().contains("broker"))
                .mapToInt(p -> p.path("spec").path("replicas").asInt()).sum();
        assertTrue(brokers > 0, "a node pool with brokers for " + cluster);
        // Fully qualified, with the overlay's namespace: KEDA's operator resolves it from its own namespace.
        String namespace = kafkas.get(0).path("metadata").path("namespace").asText();
        Set<String> bootstraps = new TreeSet<>();
        for (JsonNode listener : kafkas.get(0).path("spec").path("kafka").path("listeners")) {
            if (listener.path("type").asText().equals("internal") && !listener.path("tls").asBoolean()) {
                bootstraps.add(cluster + "-kafka-bootstrap." + namespace + ".svc:" + listener.path("port").asText());
            }
        }
        assertTrue(bootstraps.contains(configValue(overlay, "plumbline-config", "KAFKA_BOOTSTRAP_SERVERS")),
                "the services use a plain internal listener of the Strimzi cluster: one of " + bootstraps);

        Map<String, Integer> expected = new TreeMap<>();
        for (Topic topic : Topic.values()) {
            expected.put(topic.topicName(), topic.partitions());
            expected.put(topic.deadLetterTopicName(), topic.partitions());
        }
        Map<String, Integer> actual = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (JsonNode topic : ofKind(overlay, "KafkaTopic")) {
            JsonNode spec = topic.path("spec");
            String name = spec.path("topicName").asText();
            actual.put(name, spec.path("partitions").asInt());
            if (!topic.path("metadata").path("labels").path("strimzi.io/cluster").asText().equals(cluster)) {
                problems.add(name + ": not labelled strimzi.io/cluster=" + cluster);
            }
            int replicas = spec.path("replicas").asInt();
            if (replicas < 1 || replicas > brokers) {
                problems.add(name + ": " + replicas + " replicas on " + brokers + " brokers");
            }
            int minIsr = spec.path("config").path("min.insync.replicas").asInt(1);
            if (minIsr > replicas) {
                problems.add(name + ": min.insync.replicas " + minIsr + " above its " + replicas + " replicas");
            }
            if (spec.path("config").path("retention.ms").isMissingNode()) {
                problems.add(name + ": no retention.ms");
            }
        }
        assertEquals(expected, actual, "topic names and partitions as in io.plumbline.common.kafka.Topic");
        assertEquals(List.of(), problems, overlay);
    }

    /**
     * A gRPC client a service configures (quarkus.grpc.clients.NAME.host in its application.properties, localhost for
     * local runs) is pointed at the called service's Service and grpc port by the service's ConfigMaps.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void grpcClientsCallTheOtherServicesThroughTheirServices(String overlay) throws IOException {
        List<String> problems = new ArrayList<>();
        Pattern client = Pattern.compile("quarkus\\.grpc\\.clients\\.([a-z0-9-]+)\\.host");
        for (String service : APPLICATIONS) {
            Properties config = properties(REPO.resolve(service).resolve("src/main/resources/application.properties"));
            Map<String, String> environment = new HashMap<>();
            JsonNode deployment = find(overlay, "Deployment", service);
            for (JsonNode from : deployment.path("spec").path("template").path("spec").path("containers").path(0).path("envFrom")) {
                JsonNode map = find(overlay, "ConfigMap", from.path("configMapRef").path("name").asText());
                if (map != null) {
                    environment.putAll(strings(map.path("data")));
                }
            }
            for (String key : config.stringPropertyNames()) {
                Matcher m = client.matcher(key);
                if (!m.matches()) {
                    continue;
                }
                String prefix = "QUARKUS_GRPC_CLIENTS_" + m.group(1).toUpperCase().replace('-', '_') + "_";
                String host = environment.get(prefix + "HOST");
                JsonNode target = host == null ? null : find(overlay, "Service", host);
                if (target == null) {
                    problems.add(service + ": " + prefix + "HOST names no Service of the overlay (" + host + ")");
                    continue;
                }
                String grpcPort = null;
                for (JsonNode port : target.path("spec").path("ports")) {
                    if (port.path("name").asText().equals("grpc")) {
                        grpcPort = port.path("port").asText();
                    }
                }
                if (grpcPort == null || !grpcPort.equals(environment.get(prefix + "PORT"))) {
                    problems.add(service + ": " + prefix + "PORT " + environment.get(prefix + "PORT") + " is not " + host
                            + "'s grpc port " + grpcPort);
                }
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyReferencedConfigMapKeyExists(String overlay) {
        List<String> problems = new ArrayList<>();
        for (JsonNode deployment : ofKind(overlay, "Deployment")) {
            for (JsonNode container : deployment.path("spec").path("template").path("spec").path("containers")) {
                String where = Schemas.nameOf(deployment);
                for (JsonNode from : container.path("envFrom")) {
                    String name = from.path("configMapRef").path("name").asText();
                    if (!name.isEmpty() && find(overlay, "ConfigMap", name) == null) {
                        problems.add(where + ": envFrom ConfigMap " + name + " does not exist");
                    }
                }
                for (JsonNode env : container.path("env")) {
                    JsonNode ref = env.path("valueFrom").path("configMapKeyRef");
                    if (!ref.isMissingNode() && configValue(overlay, ref.path("name").asText(), ref.path("key").asText()) == null) {
                        problems.add(where + ": " + env.path("name").asText() + " reads a missing ConfigMap key " + ref);
                    }
                    if (env.has("value") && env.path("value").asText().matches(".*(?i)(api[-_]?key|password|secret).*")) {
                        problems.add(where + ": " + env.path("name").asText() + " looks like an inline secret");
                    }
                }
            }
        }
        for (JsonNode config : ofKind(overlay, "ConfigMap")) {
            config.path("data").fieldNames().forEachRemaining(key -> {
                if (key.matches("(?i).*(API_KEY|PASSWORD|TOKEN|SECRET).*")) {
                    problems.add(Schemas.nameOf(config) + ": " + key + " belongs in a Secret");
                }
            });
        }
        assertEquals(List.of(), problems, overlay);
    }

    /**
     * Every PLUMBLINE_* variable a ConfigMap sets is a property the services know: one in the README's configuration
     * tables or in a service's application.properties (or one the Deployments only use to build other values, $(NAME)).
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void configMapsSetOnlyPropertiesTheServicesKnow(String overlay) throws IOException {
        List<Pattern> known = new ArrayList<>();
        String readme = Files.readString(REPO.resolve("README.md"));
        Matcher row = Pattern.compile("(?m)^\\|\\s*(`plumbline\\.[^|]*)\\|").matcher(readme);
        while (row.find()) {
            String first = null;
            for (Matcher name = Pattern.compile("`([^`]+)`").matcher(row.group(1)); name.find(); ) {
                String property = name.group(1);
                if (property.startsWith(".") && first != null) {
                    property = first.substring(0, first.lastIndexOf('.')) + property;
                } else if (!property.startsWith("plumbline.")) {
                    continue;
                }
                first = first == null ? property : first;
                known.add(environmentPattern(property));
            }
        }
        for (String module : Stream.concat(Stream.of("common"), APPLICATIONS.stream()).toList()) {
            Path file = REPO.resolve(module).resolve("src/main/resources/application.properties");
            if (Files.exists(file)) {
                for (String key : properties(file).stringPropertyNames()) {
                    known.add(environmentPattern(key.replaceFirst("^%[^.]+\\.", "")));
                }
            }
        }
        String deployments = ofKind(overlay, "Deployment").toString();
        List<String> unknown = new ArrayList<>();
        for (JsonNode config : ofKind(overlay, "ConfigMap")) {
            config.path("data").fieldNames().forEachRemaining(key -> {
                if (key.startsWith("PLUMBLINE_") && !deployments.contains("$(" + key + ")")
                        && known.stream().noneMatch(p -> p.matcher(key).matches())) {
                    unknown.add(Schemas.nameOf(config) + ": " + key);
                }
            });
        }
        assertEquals(List.of(), unknown, overlay + ": variables no service reads (misspelled?)");
    }

    /** The environment variable name of a property (Quarkus: upper case, every other character '_'); {@code <x>} any. */
    private static Pattern environmentPattern(String property) {
        StringBuilder regex = new StringBuilder();
        for (String part : property.split("(?=<)|(?<=>)")) {
            regex.append(part.startsWith("<") ? "[A-Z0-9_]+" : Pattern.quote(part.toUpperCase().replaceAll("[^A-Z0-9]", "_")));
        }
        return Pattern.compile(regex.toString());
    }

    /**
     * Every Secret a pod reads must exist when the overlay is applied: defined by it (dev ships placeholders), written by
     * an operator it deploys (CloudNativePG's {@code <cluster>-app}), or, for production, which ships no Secret, listed in
     * the README's "Deploying to Kubernetes" table of Secrets to create.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void everySecretAPodReadsIsDefinedOrDocumented(String overlay) throws IOException {
        Map<String, Set<String>> available = new HashMap<>();
        for (JsonNode secret : ofKind(overlay, "Secret")) {
            Set<String> keys = new TreeSet<>();
            secret.path("data").fieldNames().forEachRemaining(keys::add);
            secret.path("stringData").fieldNames().forEachRemaining(keys::add);
            available.put(secret.path("metadata").path("name").asText(), keys);
        }
        for (JsonNode cluster : ofKind(overlay, "Cluster")) {
            available.put(cluster.path("metadata").path("name").asText() + "-app", CNPG_APP_SECRET_KEYS);
        }
        Map<String, Set<String>> documented = documentedSecrets();
        boolean production = overlay.equals("production");
        if (production) {
            assertEquals(List.of(), ofKind(overlay, "Secret"), "production ships no Secret: they are created by hand");
        }
        List<String> problems = new ArrayList<>();
        for (JsonNode deployment : ofKind(overlay, "Deployment")) {
            for (JsonNode container : deployment.path("spec").path("template").path("spec").path("containers")) {
                String where = Schemas.nameOf(deployment);
                for (JsonNode env : container.path("env")) {
                    JsonNode ref = env.path("valueFrom").path("secretKeyRef");
                    if (ref.isMissingNode() || ref.path("optional").asBoolean(false)) {
                        continue;
                    }
                    String name = ref.path("name").asText();
                    String key = ref.path("key").asText();
                    boolean ok = available.getOrDefault(name, Set.of()).contains(key)
                            || production && documented.getOrDefault(name, Set.of()).contains(key);
                    if (!ok) {
                        problems.add(where + ": " + env.path("name").asText() + " reads Secret " + name + " key " + key
                                + ", which the overlay neither defines" + (production ? " nor the README documents" : ""));
                    }
                    if (!documented.getOrDefault(name, Set.of()).contains(key)) {
                        problems.add(where + ": Secret " + name + " key " + key + " is missing from the README's table");
                    }
                }
                for (JsonNode from : container.path("envFrom")) {
                    JsonNode ref = from.path("secretRef");
                    if (ref.isMissingNode()) {
                        continue;
                    }
                    String name = ref.path("name").asText();
                    if (!documented.containsKey(name)) {
                        problems.add(where + ": Secret " + name + " is missing from the README's table");
                    }
                    if (!ref.path("optional").asBoolean(false) && !available.containsKey(name) && !production) {
                        problems.add(where + ": envFrom Secret " + name + " is not defined by the overlay");
                    }
                }
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    /** The README table rows "| `secret` | `key` | ..." of the section "Deploying to Kubernetes". */
    static Map<String, Set<String>> documentedSecrets() throws IOException {
        String readme = Files.readString(REPO.resolve("README.md"));
        int start = readme.indexOf("## Deploying to Kubernetes");
        assertTrue(start >= 0, "README has a section 'Deploying to Kubernetes'");
        int end = readme.indexOf("\n## ", start + 3);
        String section = readme.substring(start, end < 0 ? readme.length() : end);
        Map<String, Set<String>> documented = new HashMap<>();
        Matcher row = Pattern.compile("(?m)^\\|\\s*`([a-z0-9-]+)`\\s*\\|\\s*`([^`]+)`").matcher(section);
        while (row.find()) {
            documented.computeIfAbsent(row.group(1), k -> new TreeSet<>()).add(row.group(2));
        }
        return documented;
    }

    /**
     * The dashboard queries meters the services register (Micrometer names in the code, dots become underscores in
     * Prometheus, plus the Prometheus suffixes) or the Kafka client meters Quarkus binds.
     */
    @Test
    void dashboardQueriesMetersTheServicesRegister() throws IOException {
        JsonNode config = find("production", "ConfigMap", "plumbline-grafana-dashboard");
        assertTrue(config != null, "the Grafana dashboard ConfigMap is rendered");
        assertEquals("1", config.path("metadata").path("labels").path("grafana_dashboard").asText(),
                "labelled for Grafana's dashboard sidecar");
        JsonNode dashboard = Kustomize.YAML.readTree(config.path("data").path("plumbline.json").asText());
        Set<String> registered = registeredMeters();
        Set<String> queried = new TreeSet<>();
        List<String> panelTitles = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            panelTitles.add(panel.path("title").asText());
            assertTrue(panel.path("targets").size() > 0, panel.path("title").asText() + " has queries");
            for (JsonNode target : panel.path("targets")) {
                Matcher metric = Pattern.compile("\\b(plumbline_[a-z_]+|kafka_[a-z_]+)\\b").matcher(target.path("expr").asText());
                while (metric.find()) {
                    queried.add(metric.group(1));
                }
            }
        }
        // Besides our meters: the Kafka client's (Quarkus binds them), and the Kafka exporter's when the Kafka resource
        // runs one and a PodMonitor scrapes it.
        JsonNode kafka = ofKind("production", "Kafka").get(0);
        String exporter = kafka.path("metadata").path("name").asText() + "-kafka-exporter";
        boolean exporterScraped = kafka.path("spec").has("kafkaExporter") && ofKind("production", "PodMonitor").stream()
                .anyMatch(m -> m.path("spec").path("selector").path("matchLabels").path("strimzi.io/name").asText().equals(exporter));
        Set<String> unknown = new TreeSet<>();
        for (String name : queried) {
            String base = name.replaceAll("_(total|seconds_bucket|seconds_count|seconds_sum|seconds_max|bucket|count|sum)$", "");
            boolean known = registered.contains(base) || name.equals("kafka_consumer_fetch_manager_records_lag_max")
                    || name.equals("kafka_consumergroup_lag") && exporterScraped;
            if (!known) {
                unknown.add(name);
            }
        }
        assertEquals(Set.of(), unknown, "dashboard metrics no service registers (registered: " + registered + ")");
        for (String subject : List.of("Spans received", "lag", "LLM latency", "Tokens", "cost", "Accuracy by metric version")) {
            assertTrue(panelTitles.stream().anyMatch(t -> t.toLowerCase().contains(subject.toLowerCase())),
                    "a panel about " + subject + " in " + panelTitles);
        }
    }

    /** Meter names in the services' and common's main code, in Prometheus form (dots as underscores). */
    static Set<String> registeredMeters() throws IOException {
        Pattern meter = Pattern.compile("(?:builder|counter|gauge|timer|summary|set)\\(\\s*\"(plumbline\\.[a-z_.]+)\"");
        Set<String> names = new TreeSet<>();
        for (String module : Stream.concat(Stream.of("common"), SERVICES.stream()).toList()) {
            Path sources = REPO.resolve(module).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(sources)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    Matcher m = meter.matcher(Files.readString(file));
                    while (m.find()) {
                        names.add(m.group(1).replace('.', '_'));
                    }
                }
            }
        }
        assertFalse(names.isEmpty(), "meter names found in the code");
        return names;
    }

    /**
     * The manifests are written for old and new kustomize alike (Debian's kubectl 1.20 embeds kustomize v2.0.3): with
     * other kubectl binaries named in PLUMBLINE_KUBECTL_COMPARE (path-separated), every overlay renders byte for byte the
     * same as with the kubectl on PATH. Without it, this compares nothing.
     */
    @Test
    void otherKubectlsRenderTheSame() {
        String others = System.getenv().getOrDefault("PLUMBLINE_KUBECTL_COMPARE", System.getProperty("kubectl.compare", ""));
        for (String other : others.split(java.io.File.pathSeparator)) {
            if (other.isBlank()) {
                continue;
            }
            rendered.forEach((overlay, yaml) -> assertEquals(yaml, Kustomize.render(Path.of(other), OVERLAYS.resolve(overlay)),
                    overlay + " renders differently with " + other));
        }
    }

    private List<JsonNode> ofKind(String overlay, String kind) {
        return objects.get(overlay).stream().filter(o -> o.path("kind").asText().equals(kind)).map(o -> (JsonNode) o).toList();
    }

    private JsonNode find(String overlay, String kind, String name) {
        return ofKind(overlay, kind).stream()
                .filter(o -> o.path("metadata").path("name").asText().equals(name)).findFirst().orElse(null);
    }

    private String configValue(String overlay, String configMap, String key) {
        JsonNode config = find(overlay, "ConfigMap", configMap);
        return config == null || !config.path("data").has(key) ? null : config.path("data").path(key).asText();
    }

    private static Map<String, String> strings(JsonNode map) {
        Map<String, String> result = new TreeMap<>();
        map.fields().forEachRemaining(e -> result.put(e.getKey(), e.getValue().asText()));
        return result;
    }

    private static boolean matches(Map<String, String> selector, JsonNode labels) {
        return !selector.isEmpty() && selector.entrySet().stream()
                .allMatch(e -> labels.path(e.getKey()).asText().equals(e.getValue()));
    }

    private static Properties properties(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file)) {
            properties.load(reader);
        }
        return properties;
    }
}
