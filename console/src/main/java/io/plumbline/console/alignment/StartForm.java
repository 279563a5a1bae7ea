package io.plumbline.console.alignment;

import jakarta.ws.rs.FormParam;
import java.util.List;

/** The Start Alignment dialog as posted. */
public class StartForm {

    @FormParam("metric")
    public String metric;

    /** Annotation queues to learn from; none means every resolved annotation of the metric. */
    @FormParam("queue")
    public List<String> queues;

    /** Evaluations made from this day (yyyy-MM-dd, UTC), optional. */
    @FormParam("from")
    public String from;

    @FormParam("to")
    public String to;

    @FormParam("reflectionProvider")
    public String reflectionProvider;

    @FormParam("reflectionModel")
    public String reflectionModel;

    @FormParam("judgeProvider")
    public String judgeProvider;

    @FormParam("judgeModel")
    public String judgeModel;

    @FormParam("delta")
    public String delta;

    @FormParam("holdout")
    public String holdout;

    @FormParam("rounds")
    public String rounds;

    public String value(String s) {
        return s == null ? "" : s;
    }

    public boolean hasQueue(String id) {
        return queues != null && queues.contains(id);
    }
}
