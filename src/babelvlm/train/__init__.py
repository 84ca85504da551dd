"""``babelvlm train``: the papers' training recipes on transformers.Trainer + peft + accelerate."""
