package io.plumbline.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.plumbline.proto.annotation.v1.AnnotationsGrpc;
import io.plumbline.proto.annotation.v1.ListAnnotationsRequest;
import io.plumbline.proto.annotation.v1.ListQueuesRequest;
import io.plumbline.proto.judge.v1.EvaluationEvent;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URL;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.interactions.Actions;

/** A domain expert signs in, reviews a queue with the keyboard, is refused a vague critique, and finishes the queue. */
@QuarkusTest
class ReviewFlowTest {

    static final String REFUND_DOC = "Returns: unworn items can be returned within 30 days of delivery for a full refund."
            + " After 30 days we offer store credit only.";

    @TestHTTPResource("/")
    URL console;

    static ManagedChannel channel;

    @BeforeAll
    static void connect() {
        channel = Fixtures.channel(ConsoleServices.ANNOTATIONS_PORT);
    }

    @AfterAll
    static void disconnect() {
        channel.shutdownNow();
    }

    @Test
    void anExpertReviewsAQueueWithTheKeyboardAndAVagueCritiqueIsRefused() {
        EvaluationEvent overpromise = Fixtures.evaluation("Can I still return my boots? I got them 45 days ago.",
                "Yes! You can return them any time for a full refund.", REFUND_DOC, true,
                "The answer is polite and answers the question.");
        EvaluationEvent correct = Fixtures.evaluation("How long do I have to return a jacket?",
                "You have 30 days from delivery to return unworn items for a full refund.", REFUND_DOC, true,
                "Matches the returns policy.");
        Fixtures.publish(overpromise, correct);
        var annotations = Fixtures.as("key-alice", AnnotationsGrpc.newBlockingStub(channel));
        // Other tests share the project: this one works in answer_correctness' own queue.
        var queue = await().atMost(Duration.ofSeconds(60)).until(() -> annotations.listQueues(ListQueuesRequest
                        .newBuilder().setProjectId(ConsoleServices.PROJECT).setMetricId(Fixtures.ANSWER_CORRECTNESS)
                        .build()).getQueuesList().stream().filter(q -> q.getCounts().getTotal() >= 2).findFirst(),
                java.util.Optional::isPresent).orElseThrow();

        try (Browser browser = new Browser(console.toString().replaceAll("/$", ""))) {
            browser.open("/review");
            assertEquals("/sign-in", browser.path(), "unauthenticated pages send people to sign in");
            browser.signIn("not-a-key");
            browser.awaitText("Sign in");
            assertFalse(browser.find("#sign-in-error").getText().isBlank());
            browser.audit("sign-in-refused");
            browser.signIn("key-alice");
            browser.awaitText("Your review queues");
            assertTrue(browser.find("header .who").getText().contains("Alice Moreau"));
            assertTrue(browser.text().contains("answer_correctness"), browser.text());
            String row = browser.find("tr:has(a[href='/review/queues/" + queue.getId() + "/next'])").getText();
            assertTrue(row.contains("0 of 2 resolved"), row);
            browser.audit("review-queues");

            browser.find("a[href='/review/queues/" + queue.getId() + "/next']").click();
            browser.awaitText("The judge said");
            assertTrue(browser.text().contains("answer_correctness v1"), browser.text());
            assertTrue(browser.text().contains("Conversation"), browser.text());
            assertTrue(browser.find("details.document summary").getText().contains("kb-returns"));
            browser.audit("review-item");
            boolean first = browser.text().contains("45 days ago");

            // X: the judge was wrong; 2: the second choice (false); E: write the critique; Ctrl+Enter: submit.
            Actions keys = new Actions(browser.driver);
            keys.sendKeys("x").sendKeys("2").sendKeys("e").sendKeys("wrong").perform();
            keys.keyDown(Keys.CONTROL).sendKeys(Keys.ENTER).keyUp(Keys.CONTROL).perform();
            browser.awaitText("Not accepted");
            assertFalse(browser.find("#critique-error").getText().isBlank(), "the service's reason is shown at the critique");
            assertTrue(browser.find("#verdict-incorrect").isSelected(), "the form keeps what was entered");
            browser.audit("review-vague-critique-refused");

            String critique = first
                    ? "The answer promises a full refund after 45 days, but the returns policy allows refunds only "
                            + "within 30 days of delivery and store credit after that. It should have offered store credit."
                    : "Although the facts match the policy, the customer asked about a jacket bought as a gift and the "
                            + "answer should have mentioned that gift receipts get store credit only, so it is incomplete.";
            browser.find("#critique").clear();
            browser.find("#critique").sendKeys(critique);
            new Actions(browser.driver).keyDown(Keys.CONTROL).sendKeys(Keys.ENTER).keyUp(Keys.CONTROL).perform();
            browser.awaitText("Saved. Here is the next item.");

            // The second item: C marks the judge correct.
            new Actions(browser.driver).sendKeys("c").perform();
            new Actions(browser.driver).keyDown(Keys.CONTROL).sendKeys(Keys.ENTER).keyUp(Keys.CONTROL).perform();
            browser.awaitText("Nothing left for you");
            browser.audit("review-queue-done");
        }

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            var resolved = annotations.listAnnotations(ListAnnotationsRequest.newBuilder()
                    .setProjectId(ConsoleServices.PROJECT).setMetricId(Fixtures.ANSWER_CORRECTNESS).setPageSize(10)
                    .build()).getAnnotationsList();
            assertEquals(2, resolved.size());
            var disagreements = resolved.stream().filter(a -> !a.getJudgeCorrect()).toList();
            assertEquals(1, disagreements.size(), "one item was marked incorrect");
            assertFalse(disagreements.getFirst().getExpectedValue().getBoolean());
            assertTrue(disagreements.getFirst().getCritiques(0).getCritique().contains("30 days"));
        });
    }
}
