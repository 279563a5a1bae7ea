package io.plumbline.annotation.reviewer;

import io.plumbline.common.api.ApiException;

import io.plumbline.proto.annotation.v1.Reviewer;

/** The reviewer making a call, already checked against the project they work in. */
public record Caller(Reviewer reviewer) {

    public String id() {
        return reviewer.getId();
    }

    public boolean admin() {
        return reviewer.getAdmin();
    }

    /** Refuses callers who are not admins: managing queues, settings, adjudicating and importing are theirs. */
    public Caller requireAdmin(String what) {
        if (!admin()) {
            throw ApiException.permissionDenied(what + " needs an admin; reviewer " + id() + " is not one");
        }
        return this;
    }
}
