package io.plumbline.console;

import io.quarkus.test.common.TestResourceScope;
import io.quarkus.test.common.WithTestResource;

/** Every test of this module runs against the four packaged services (see {@link ConsoleServices}). */
@WithTestResource(value = ConsoleServices.class, scope = TestResourceScope.GLOBAL)
public final class ConsoleTestInfrastructure {

    private ConsoleTestInfrastructure() {
    }
}
