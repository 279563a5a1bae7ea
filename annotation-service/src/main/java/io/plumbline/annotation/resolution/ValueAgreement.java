package io.plumbline.annotation.resolution;

import io.plumbline.annotation.queue.FillStrategies;
import io.plumbline.proto.common.v1.MetricValue;

/** When two values count as the same: equal, or for numeric types within the tolerance. */
public final class ValueAgreement {

    private ValueAgreement() {
    }

    public static boolean agree(MetricValue a, MetricValue b, double tolerance) {
        Double x = FillStrategies.numeric(a);
        Double y = FillStrategies.numeric(b);
        if (x != null && y != null) {
            return Math.abs(x - y) <= tolerance;
        }
        return a.equals(b);
    }
}
