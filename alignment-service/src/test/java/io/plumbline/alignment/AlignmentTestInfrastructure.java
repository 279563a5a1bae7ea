package io.plumbline.alignment;

import io.plumbline.testing.PlumblineTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

/**
 * Every test of this module runs against the real Kafka broker, a fresh PostgreSQL database of its own, the packaged
 * metric-registry and judge-service in processes of their own, and LLM providers that point at the LLM stand-in.
 */
@WithTestResource(value = PlumblineTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = @ResourceArg(name = PlumblineTestResource.DATABASE, value = "alignment"))
@WithTestResource(value = ServicesResource.class, scope = TestResourceScope.GLOBAL)
public final class AlignmentTestInfrastructure {

    private AlignmentTestInfrastructure() {
    }
}
