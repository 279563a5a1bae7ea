package io.plumbline.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The validator refuses what the API server would refuse: each case is a valid object with one mistake. */
class SchemasTest {

    private final Schemas schemas = new Schemas();

    private static ObjectNode object(String yaml) {
        return Kustomize.objects(yaml).get(0);
    }

    private void assertRefused(String yaml, String expectedInProblem) {
        List<String> problems = schemas.validate(object(yaml));
        assertTrue(problems.stream().anyMatch(p -> p.contains(expectedInProblem)),
                "expected a problem mentioning '" + expectedInProblem + "', got " + problems);
    }

    @Test
    void aValidDeploymentPasses() {
        assertEquals(List.of(), schemas.validate(object("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                      - name: c
                        image: i
                        resources: {limits: {cpu: "1", memory: 1Gi}}
                        readinessProbe: {httpGet: {path: /q/health/ready, port: http}}
                """)));
    }

    @Test
    void aMisspelledFieldInADeploymentIsRefused() {
        assertRefused("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: d}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                      - name: c
                        image: i
                        readinessProbes: {httpGet: {path: /q/health/ready, port: http}}
                """, "readinessProbes");
    }

    @Test
    void aStringWhereANumberBelongsIsRefused() {
        assertRefused("""
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaTopic
                metadata: {name: t}
                spec:
                  topicName: t
                  partitions: "six"
                  replicas: 1
                """, "partitions");
    }

    @Test
    void anUnknownFieldInAStrimziResourceIsRefused() {
        assertRefused("""
                apiVersion: kafka.strimzi.io/v1beta2
                kind: KafkaTopic
                metadata: {name: t}
                spec:
                  topicName: t
                  partitions: 6
                  replica: 1
                """, "replica");
    }

    @Test
    void anUnknownFieldInAServiceMonitorIsRefused() {
        assertRefused("""
                apiVersion: monitoring.coreos.com/v1
                kind: ServiceMonitor
                metadata: {name: m}
                spec:
                  selector: {matchLabels: {a: b}}
                  endpoints:
                  - port: http
                    metricsPath: /q/metrics
                """, "metricsPath");
    }

    @Test
    void aScaledObjectBreakingKedasCrdIsRefused() {
        String valid = """
                apiVersion: keda.sh/v1alpha1
                kind: ScaledObject
                metadata: {name: s}
                spec:
                  scaleTargetRef: {name: d}
                  maxReplicaCount: 6
                  triggers:
                  - type: kafka
                    metadata: {topic: t, lagThreshold: "10"}
                """;
        assertEquals(List.of(), schemas.validate(object(valid)));
        assertRefused(valid.replace("lagThreshold: \"10\"", "lagThreshold: 10"), "lagThreshold");
        assertRefused(valid.replace("maxReplicaCount: 6", "maxReplicas: 6"), "maxReplicas");
        assertRefused(valid.replace("  scaleTargetRef: {name: d}\n", ""), "scaleTargetRef");
    }

    @Test
    void aClusterBreakingCloudNativePgsCrdIsRefused() {
        String valid = """
                apiVersion: postgresql.cnpg.io/v1
                kind: Cluster
                metadata: {name: db}
                spec:
                  instances: 1
                  storage: {size: 1Gi}
                  resources: {limits: {cpu: "1", memory: 1Gi}}
                  bootstrap: {initdb: {database: a, owner: b}}
                """;
        assertEquals(List.of(), schemas.validate(object(valid)));
        assertRefused(valid.replace("instances: 1", "instances: 0"), "instances");
        assertRefused(valid.replace("{size: 1Gi}", "{sizes: 1Gi}"), "sizes");
        assertRefused(valid.replace("memory: 1Gi}}", "memory: lots}}"), "memory");
        assertRefused(valid.replace("metadata: {name: db}", "metadata: {name: db, label: {}}"), "label");
    }

    @Test
    void namesTheApiServerRefusesAreRefused() {
        String valid = """
                apiVersion: v1
                kind: Service
                metadata: {name: judge-service, labels: {app.kubernetes.io/name: judge-service}}
                spec:
                  selector: {a: b}
                  ports:
                  - {name: otlp-grpc, port: 4317, targetPort: http}
                """;
        assertEquals(List.of(), schemas.validate(object(valid)));
        assertRefused(valid.replace("{name: judge-service,", "{name: judge_service,"), "DNS subdomain");
        assertRefused(valid.replace("{name: otlp-grpc,", "{name: opentelemetry-grpc,"), "IANA service name");
        assertRefused(valid.replace("app.kubernetes.io/name: judge-service}", "app.kubernetes.io/name: judge service}"),
                "invalid value");
    }

    @Test
    void aKindWithoutASchemaIsRefused() {
        assertRefused("""
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: w}
                """, "no schema known");
    }
}
