package io.plumbline.common.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Opaque page tokens for keyset pagination: the token is the sort key of the last item of the previous page,
 * so pages stay stable while rows are added.
 */
public final class PageToken {

    private PageToken() {
    }

    public static String encode(String lastKey) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(lastKey.getBytes(StandardCharsets.UTF_8));
    }

    /** The last key, or null for the first page; an undecodable token is an INVALID_ARGUMENT on {@code page_token}. */
    public static String decode(String token) {
        if (token == null || token.isEmpty()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("page_token", "is not a token returned by this API");
        }
    }

    /** The page size to use: {@code defaultSize} for 0, otherwise 1 to {@code max}. */
    public static int pageSize(int requested, int defaultSize, int max) {
        if (requested == 0) {
            return defaultSize;
        }
        if (requested < 0 || requested > max) {
            throw ApiException.invalid("page_size", "must be between 1 and " + max + " (was " + requested + ")");
        }
        return requested;
    }
}
