"""The model organism: a small LLaVA-style VLM assembled from pretrained parts that ship offline."""
