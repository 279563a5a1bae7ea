package io.plumbline.common.stats;

/**
 * Confidence intervals for the agreement statistics, computed without a statistics library: the standard normal
 * quantile (Acklam's rational approximation, relative error below 1.2e-9), Student's t quantile (Hill's algorithm 396,
 * exact for 1 and 2 degrees of freedom, to about 1e-5 beyond), and the intervals built on them.
 */
public final class ConfidenceIntervals {

    private ConfidenceIntervals() {
    }

    /** An interval [lower, upper] at a confidence level. */
    public record Interval(double lower, double upper, double level) {
    }

    /** Wilson score interval for a proportion of {@code successes} in {@code n}; null when n is 0. */
    public static Interval wilson(long successes, long n, double level) {
        if (n == 0) {
            return null;
        }
        double z = normalQuantile(1 - (1 - level) / 2);
        double p = (double) successes / n;
        double denominator = 1 + z * z / n;
        double center = (p + z * z / (2.0 * n)) / denominator;
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denominator;
        return new Interval(Math.max(0, center - half), Math.min(1, center + half), level);
    }

    /** A normal interval around an estimate with its standard error. */
    public static Interval normal(double estimate, double standardError, double level) {
        double z = normalQuantile(1 - (1 - level) / 2);
        return new Interval(estimate - z * standardError, estimate + z * standardError, level);
    }

    /** A t interval for the mean of {@code n} values with sample standard deviation {@code sd}; null when n < 2. */
    public static Interval studentT(double mean, double sd, long n, double level) {
        if (n < 2) {
            return null;
        }
        double t = studentTQuantile(1 - (1 - level) / 2, n - 1);
        double half = t * sd / Math.sqrt(n);
        return new Interval(mean - half, mean + half, level);
    }

    /** The p-quantile of the standard normal distribution, 0 < p < 1. */
    public static double normalQuantile(double p) {
        if (p <= 0 || p >= 1) {
            throw new IllegalArgumentException("p must be in (0, 1): " + p);
        }
        final double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        final double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                6.680131188771972e+01, -1.328068155288572e+01};
        final double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        final double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                3.754408661907416e+00};
        double low = 0.02425;
        if (p < low) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                    / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - low) {
            return -normalQuantile(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }

    /** The p-quantile of Student's t distribution with {@code df} degrees of freedom (Hill, CACM algorithm 396). */
    public static double studentTQuantile(double p, long df) {
        if (p <= 0 || p >= 1 || df < 1) {
            throw new IllegalArgumentException("p must be in (0, 1) and df >= 1: p=" + p + ", df=" + df);
        }
        if (p < 0.5) {
            return -studentTQuantile(1 - p, df);
        }
        double twoTailed = 2 * (1 - p);
        double n = df;
        if (df == 1) {
            return 1 / Math.tan(Math.PI * twoTailed / 2);
        }
        if (df == 2) {
            return Math.sqrt(2 / (twoTailed * (2 - twoTailed)) - 2);
        }
        double a = 1 / (n - 0.5);
        double b = 48 / (a * a);
        double c = ((20700 * a / b - 98) * a - 16) * a + 96.36;
        double d = ((94.5 / (b + c) - 3) / b + 1) * Math.sqrt(a * Math.PI / 2) * n;
        double x = d * twoTailed;
        double y = Math.pow(x, 2 / n);
        if (y > 0.05 + a) {
            x = normalQuantile(twoTailed / 2);
            y = x * x;
            if (df < 5) {
                c += 0.3 * (n - 4.5) * (x + 0.6);
            }
            c = (((0.05 * d * x - 5) * x - 7) * x - 2) * x + b + c;
            y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * x;
            y = a * y * y;
            y = y > 0.002 ? Math.exp(y) - 1 : 0.5 * y * y + y;
        } else {
            y = ((1 / (((n + 6) / (n * y) - 0.089 * d - 0.822) * (n + 2) * 3) + 0.5 / (n + 4)) * y - 1)
                    * (n + 1) / (n + 2) + 1 / y;
        }
        return Math.sqrt(n * y);
    }
}
