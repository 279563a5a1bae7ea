package io.plumbline.judge.recompute;

import com.google.protobuf.Duration;
import io.plumbline.common.api.ApiException;
import io.plumbline.common.api.ProtoJson;
import io.plumbline.common.llm.LlmConfig;
import io.plumbline.judge.budget.PriceTable;
import io.plumbline.judge.evaluation.StoredSnapshots;
import io.plumbline.judge.judging.JudgeModel;
import io.plumbline.proto.judge.v1.Evaluation;
import io.plumbline.proto.judge.v1.RecomputeEstimate;
import io.plumbline.proto.judge.v1.RecordSnapshot;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Which records a recompute selects, and what judging them would take:
 * <ul>
 * <li>records: a time range selects the records of the metric's level that any version of the metric judged (OK or
 * ERROR) and that ended in the range ({@code evaluation.record_end_time}); a list selects its ids (duplicates once);</li>
 * <li>already evaluated: records whose newest stored snapshot this version judged before (same content hash);
 * unknown: listed ids without a stored snapshot; to judge: the rest;</li>
 * <li>prompt tokens: the prompt each record to judge renders to (system and user message), one token per 4
 * characters, rounded up per record (what OpenAI-style tokenizers give for English prose; code and other languages
 * take more);</li>
 * <li>completion tokens: the mean of the metric's last 100 OK evaluations (any version), else
 * {@code plumbline.recompute.default-completion-tokens}, per record;</li>
 * <li>cost: the price table for the metric's judge model;</li>
 * <li>duration: the largest of what the provider's configured limits allow (requests per minute, tokens per minute)
 * and of the records in waves of the job's concurrency (at most the provider's) at the metric's recent mean latency
 * (else {@code plumbline.recompute.default-latency}).</li>
 * </ul>
 */
@ApplicationScoped
class RecomputeEstimator {

    static final int UNKNOWN_SHOWN = 100;
    static final int CHUNK = 1000;
    static final int CHARS_PER_TOKEN = 4;
    static final int RECENT = 100;

    private final Pool pool;
    private final StoredSnapshots snapshots;
    private final PriceTable prices;
    private final LlmConfig llm;
    private final RecomputeConfig config;

    RecomputeEstimator(Pool pool, StoredSnapshots snapshots, PriceTable prices, LlmConfig llm, RecomputeConfig config) {
        this.pool = pool;
        this.snapshots = snapshots;
        this.prices = prices;
        this.llm = llm;
        this.config = config;
    }

    /** The record ids the scope selects, in order, each once. */
    Uni<List<String>> select(RecomputeTarget target) {
        if (target.scope().hasRecords()) {
            return Uni.createFrom().item(List.copyOf(new LinkedHashSet<>(target.scope().getRecords().getRecordIdsList())));
        }
        var range = target.scope().getTimeRange();
        return pool.preparedQuery("""
                        select distinct record_id from evaluation
                        where metric_id = $1 and project_id = $2 and level = $3
                          and status in ('STATUS_OK', 'STATUS_ERROR')
                          and record_end_time >= $4 and record_end_time < $5
                        order by record_id limit $6""")
                .execute(Tuple.from(List.<Object>of(UUID.fromString(target.metric().getId()), target.projectId(),
                        target.level().name(), ProtoJson.offsetDateTime(range.getStartTime()),
                        ProtoJson.offsetDateTime(range.getEndTime()), RecomputeTarget.MAX_RECORDS + 1)))
                .map(rows -> {
                    List<String> ids = new ArrayList<>();
                    rows.forEach(row -> ids.add(row.getString("record_id")));
                    if (ids.size() > RecomputeTarget.MAX_RECORDS) {
                        throw ApiException.invalid("scope.time_range", "selects more than " + RecomputeTarget.MAX_RECORDS
                                + " records; narrow it or run several jobs");
                    }
                    return ids;
                });
    }

    /** What judging the selected records would take (see the class comment). */
    Uni<RecomputeEstimate> estimate(RecomputeTarget target, List<String> recordIds) {
        JudgeModel.Judge judge = target.judge("");
        List<List<String>> chunks = new ArrayList<>();
        for (int from = 0; from < recordIds.size(); from += CHUNK) {
            chunks.add(recordIds.subList(from, Math.min(recordIds.size(), from + CHUNK)));
        }
        var estimate = RecomputeEstimate.newBuilder().setRecords(recordIds.size());
        long[] promptTokens = {0};
        return Multi.createFrom().iterable(chunks).onItem().transformToUniAndConcatenate(chunk -> snapshots
                        .newest(target.projectId(), target.level(), chunk)
                        .chain(found -> judgedBefore(target, found).invoke(judged -> {
                            for (String id : chunk) {
                                RecordSnapshot snapshot = found.get(id);
                                if (snapshot == null) {
                                    if (estimate.getUnknownRecordIdsCount() < UNKNOWN_SHOWN) {
                                        estimate.addUnknownRecordIds(id);
                                    }
                                } else if (judged.contains(id)) {
                                    estimate.setAlreadyEvaluated(estimate.getAlreadyEvaluated() + 1);
                                } else {
                                    estimate.setToJudge(estimate.getToJudge() + 1);
                                    promptTokens[0] += tokens(JudgeModel.promptLength(judge, snapshot));
                                }
                            }
                        })))
                .collect().last()
                .chain(() -> recent(target))
                .map(recent -> {
                    long toJudge = estimate.getToJudge();
                    long completion = Math.round(recent.completionTokens() * toJudge);
                    String model = target.metric().getJudgeModel().getModel();
                    estimate.setEstimatedPromptTokens(promptTokens[0]).setEstimatedCompletionTokens(completion)
                            .setEstimatedCostUsd(prices.cost(model, promptTokens[0], completion))
                            .setEstimatedDuration(duration(target, toJudge, promptTokens[0] + completion,
                                    recent.latencySeconds()));
                    return estimate.build();
                });
    }

    /** Tokens of a text of this many characters. */
    static long tokens(int characters) {
        return (characters + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN;
    }

    /** The records (of those found) whose found snapshot this version already judged. */
    private Uni<Set<String>> judgedBefore(RecomputeTarget target, Map<String, RecordSnapshot> found) {
        if (found.isEmpty()) {
            return Uni.createFrom().item(Set.of());
        }
        return pool.preparedQuery("""
                        select record_id, content_hash from evaluation
                        where metric_id = $1 and metric_version = $2 and record_id = any($3)""")
                .execute(Tuple.of(UUID.fromString(target.metric().getId()), target.version().getVersion(),
                        found.keySet().toArray(String[]::new)))
                .map(rows -> {
                    Set<String> judged = new HashSet<>();
                    rows.forEach(row -> {
                        String id = row.getString("record_id");
                        if (found.get(id).getContentHash().equals(row.getString("content_hash"))) {
                            judged.add(id);
                        }
                    });
                    return judged;
                });
    }

    private record Recent(double completionTokens, double latencySeconds) {
    }

    /** The metric's recent mean completion tokens and latency per evaluation. */
    private Uni<Recent> recent(RecomputeTarget target) {
        return pool.preparedQuery("""
                        select evaluation from evaluation where metric_id = $1 and status = 'STATUS_OK'
                        order by created_at desc limit $2""")
                .execute(Tuple.of(UUID.fromString(target.metric().getId()), RECENT))
                .map(rows -> {
                    double completion = 0;
                    double latency = 0;
                    int n = 0;
                    for (var row : rows) {
                        Evaluation e = ProtoJson.parseBytes(row.getBuffer("evaluation").getBytes(),
                                Evaluation.getDefaultInstance());
                        completion += e.getCompletionTokens();
                        latency += e.getLatency().getSeconds() + e.getLatency().getNanos() / 1e9;
                        n++;
                    }
                    if (n == 0) {
                        return new Recent(config.defaultCompletionTokens(), config.defaultLatency().toMillis() / 1000.0);
                    }
                    return new Recent(completion / n, latency / n);
                });
    }

    private Duration duration(RecomputeTarget target, long records, long tokens, double latencySeconds) {
        int concurrency = config.concurrency();
        double seconds = 0;
        LlmConfig.Provider provider = llm.providers().get(target.metric().getJudgeModel().getProvider());
        if (provider != null) {
            concurrency = Math.max(1, Math.min(concurrency, provider.maxConcurrency()));
            if (provider.requestsPerMinute() > 0) {
                seconds = Math.max(seconds, records * 60.0 / provider.requestsPerMinute());
            }
            if (provider.tokensPerMinute() > 0) {
                seconds = Math.max(seconds, tokens * 60.0 / provider.tokensPerMinute());
            }
        }
        seconds = Math.max(seconds, Math.ceil(records / (double) concurrency) * latencySeconds);
        long whole = (long) seconds;
        return Duration.newBuilder().setSeconds(whole).setNanos((int) Math.round((seconds - whole) * 1e9) % 1_000_000_000)
                .build();
    }
}
