package io.plumbline.judge;

import io.plumbline.testing.PlumblineTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

/**
 * Every test of this module runs against the real Kafka broker (with every platform topic). The resource also creates
 * a database and passes its datasource properties; the judge has no datasource yet and starts without using them.
 */
@WithTestResource(value = PlumblineTestResource.class, scope = TestResourceScope.GLOBAL,
        initArgs = @ResourceArg(name = PlumblineTestResource.DATABASE, value = "judge"))
public final class JudgeTestInfrastructure {

    private JudgeTestInfrastructure() {
    }
}
