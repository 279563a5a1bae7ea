package io.plumbline.console.metrics;

import io.plumbline.proto.alignment.v1.MetricAgreement;
import io.plumbline.proto.alignment.v1.VersionAgreement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Judge-vs-expert agreement over time as an inline SVG: one line per metric version (accuracy per day) and a marked
 * boundary where each version starts. Drawn on the server so the page needs no script; the same numbers are in a
 * table beside it for people who do not see the chart.
 */
public record AgreementChart(String svg, List<Point> points) {

    public record Point(String date, int version, String accuracy, long n) {
        /** What the point says, in words: its tooltip in the chart. */
        public String label() {
            return date + ", v" + version + ": " + accuracy + "% of " + n;
        }
    }

    private static final int WIDTH = 720;
    private static final int HEIGHT = 240;
    private static final int LEFT = 44;
    private static final int RIGHT = 16;
    private static final int TOP = 16;
    private static final int BOTTOM = 36;
    private static final String[] COLOURS = {"#0b57a4", "#a4161a", "#1b6e2e", "#7a4b00", "#5b2a86", "#00607a"};

    public static AgreementChart of(MetricAgreement agreement) {
        List<Point> points = new ArrayList<>();
        LocalDate first = null;
        LocalDate last = null;
        for (VersionAgreement v : agreement.getVersionsList()) {
            for (var day : v.getDailyList()) {
                if (!day.getStats().getAccuracy().getDefined()) {
                    continue;
                }
                LocalDate date = LocalDate.parse(day.getDate());
                first = first == null || date.isBefore(first) ? date : first;
                last = last == null || date.isAfter(last) ? date : last;
                points.add(new Point(day.getDate(), v.getVersion(),
                        String.format(Locale.ROOT, "%.1f", 100 * day.getStats().getAccuracy().getValue()),
                        day.getStats().getN()));
            }
        }
        if (points.isEmpty()) {
            return new AgreementChart("", points);
        }
        // The table reads in time order; a day that two versions judged lists the older version first.
        points.sort(java.util.Comparator.comparing(Point::date).thenComparingInt(Point::version));
        long span = Math.max(1, last.toEpochDay() - first.toEpochDay());
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" role=\"img\" aria-labelledby=\"chart-title\"><title id=\"chart-title\">Judge agreement with"
                        + " experts per day, by metric version</title>");
        for (int pct = 0; pct <= 100; pct += 25) {
            double y = y(pct);
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#c9ced6\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" fill=\"#4a5360\">%d%%</text>",
                    LEFT, y, WIDTH - RIGHT, y, LEFT - 6, y + 4, pct));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#4a5360\">%s</text>"
                + "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\" fill=\"#4a5360\">%s</text>",
                LEFT, HEIGHT - 8, first, WIDTH - RIGHT, HEIGHT - 8, last));
        int colour = 0;
        for (VersionAgreement v : agreement.getVersionsList()) {
            List<Point> mine = points.stream().filter(p -> p.version() == v.getVersion()).toList();
            if (mine.isEmpty()) {
                continue;
            }
            String stroke = COLOURS[colour++ % COLOURS.length];
            double boundary = x(LocalDate.parse(mine.getFirst().date()), first, span);
            svg.append(String.format(Locale.ROOT, "<line class=\"boundary\" data-version=\"%d\" x1=\"%.1f\" y1=\"%d\" "
                    + "x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"%s\">v%d</text>",
                    v.getVersion(), boundary, TOP, boundary, HEIGHT - BOTTOM, stroke, boundary + 3, TOP + 10, stroke,
                    v.getVersion()));
            StringBuilder line = new StringBuilder();
            for (Point p : mine) {
                double x = x(LocalDate.parse(p.date()), first, span);
                double y = y(Double.parseDouble(p.accuracy()));
                line.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
                svg.append(String.format(Locale.ROOT, "<circle data-version=\"%d\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
                        + "fill=\"%s\"><title>%s</title></circle>", p.version(), x, y, stroke, p.label()));
            }
            svg.append("<polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(stroke).append("\" points=\"")
                    .append(line.toString().strip()).append("\"/>");
        }
        svg.append("</svg>");
        return new AgreementChart(svg.toString(), points);
    }

    private static double x(LocalDate date, LocalDate first, long span) {
        return LEFT + (WIDTH - LEFT - RIGHT) * (double) (date.toEpochDay() - first.toEpochDay()) / span;
    }

    private static double y(double percent) {
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - percent / 100);
    }
}
