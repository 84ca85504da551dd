"""Dataset builders as chains of small counted steps, run by datatrove locally or on a Ray cluster.

A builder is a list of steps (reader -> extractors -> filters -> writer) over a stream of datatrove
``Document``s (``text``, ``id``, ``media``: images as ``Media``, ``metadata``). Every item a step sees is
kept or dropped with a reason; the framework counts them, writes rejects with their reason and sums the
counts of all shards into ``OUT/stats.json``::

    {"steps": [{"name": "min_side", "unit": "images", "in": 10, "kept": 7, "dropped": {"side<150": 3}}],
     "shards": {"total": 4, "finished": 4}, "skipped_steps": []}

with ``in = kept + sum(dropped)`` for every step (checked when the file is written).

Writing a step (``babelvlm.builders.steps``) - one small class, the paper's threshold as constructor default::

    class MinSide(MediaFilter):
        '''Drop images whose shorter side is under ``min_side`` px (LLM-jp-3 VILA, appendix A.1).'''

        name = "min_side"

        def __init__(self, min_side: int = 150) -> None:
            super().__init__()
            self.min_side = min_side

        def check(self, media: Media, doc: Document) -> str | None:
            w, h = media.metadata["width"], media.metadata["height"]
            return None if min(w, h) >= self.min_side else f"side<{self.min_side}"

Base classes: ``DocumentFilter.check(doc)`` and ``MediaFilter.check(media, doc)`` return ``None`` (keep) or
a reason (override ``check_batch`` and set ``batch_size`` for models); ``Transform.apply(doc)`` returns a
new document or ``Drop(reason)``; ``Expand.expand(doc)`` returns several documents (``out`` counts them);
``Reader.read(path)`` yields documents or ``Drop(reason)`` for broken records (files are dealt to shards);
``WindowedStep.judge_sample(docs)`` judges the stream sample by sample (frequency rules, quantiles);
``ShardWriter`` (``babelvlm.builders.shards``) writes WebDataset tar or parquet shards. A step that needs a
model it does not have returns the reason from ``unavailable()``: it then lets everything through and the
run lists it under ``skipped_steps`` (the CLI prints it), never silently. Steps must pickle (load models
lazily, on first use), because each shard may run in another process or on another machine.

Running a pipeline (``babelvlm.builders.run``)::

    steps = [JsonlPages(paths), ExtractImages(), MinSide(), ShardWriter(str(out / "shards"), to_record)]
    stats = run_pipeline(steps, out, RunOptions(tasks=4, workers=2, executor="local"))  # or "ray"

``executor="ray"`` uses datatrove's Ray executor (``ray_address`` for a cluster; a running
``ray.init()`` is reused). A relaunch of the same call runs only the shards without a completion marker
(``OUT/logs/completions``); finished shards are never redone, a killed one is redone from its start.
The CLI group ``babelvlm build`` lives in ``babelvlm.builders.cli``; add a builder as one command there.
"""
