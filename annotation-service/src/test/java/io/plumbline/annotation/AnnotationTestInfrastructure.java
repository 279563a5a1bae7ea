package io.plumbline.annotation;

import io.plumbline.testing.PlumblineTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

/** Every test of this module runs against the real Kafka broker and a fresh PostgreSQL database of its own. */
@WithTestResource(value = PlumblineTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = @ResourceArg(name = PlumblineTestResource.DATABASE, value = "annotation"))
public final class AnnotationTestInfrastructure {

    private AnnotationTestInfrastructure() {
    }
}
