-- The whole resolution settings in force on the item row (rule and numeric tolerance join required_reviews and
-- principal_reviewer_id), so that feedback settles an item from the locked row alone, without reading its queue and
-- its metric's settings again.
alter table review_item
    add column rule              text             not null default 'RESOLUTION_RULE_MAJORITY',
    add column numeric_tolerance double precision not null default 0;

update review_item i
set rule = coalesce(nullif(s.settings ->> 'rule', ''), 'RESOLUTION_RULE_MAJORITY'),
    numeric_tolerance = coalesce((s.settings ->> 'numericTolerance')::double precision, 0)
from (select item.id, coalesce(q.resolution_json, c.settings_json)::jsonb as settings
      from review_item item
      join review_queue q on q.id = item.queue_id
      left join resolution_config c on c.project_id = item.project_id and c.metric_id = item.metric_id) s
where s.id = i.id and s.settings is not null;

-- Progress per reviewer reads a reviewer's assignments through their items; this index replaces the one on the reviewer
-- alone (one index less to maintain on every assignment).
create index assignment_by_reviewer_item on assignment (reviewer_id, item_id);
drop index assignment_by_reviewer;

-- The rule that resolved an annotation, as a column: the resolutions-per-rule gauge counts by it.
alter table annotation add column rule text not null default 'RESOLUTION_RULE_UNSPECIFIED';
create index annotation_by_rule on annotation (project_id, rule);

-- The queue gauges count unresolved items per queue and status; resolved items (the bulk) stay out of this index.
create index review_item_unresolved on review_item (queue_id, status) where status <> 'STATUS_RESOLVED';

-- Only stratified queues give items a stratum: the other items (imports above all) stay out of its index.
drop index review_item_stratum;
create index review_item_stratum on review_item (queue_id, stratum, created_at) where stratum <> '';
