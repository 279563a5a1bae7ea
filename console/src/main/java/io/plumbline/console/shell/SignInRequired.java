package io.plumbline.console.shell;

/** The page needs a signed-in reviewer: answered with a redirect to the sign-in page. */
public class SignInRequired extends RuntimeException {

    public SignInRequired(String reason) {
        super(reason, null, false, false);
    }
}
