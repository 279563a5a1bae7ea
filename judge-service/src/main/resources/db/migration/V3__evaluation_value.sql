-- The judged value beside the protobuf, for ListEvaluations' value filter: the text of boolean and categorical values,
-- the number of percentage, count and discrete ones. Rows written before this migration hold neither and match no
-- value filter.
alter table evaluation add column value_label text, add column value_number double precision;

create index evaluation_by_metric_value on evaluation (metric_id, metric_version, value_label, value_number);
