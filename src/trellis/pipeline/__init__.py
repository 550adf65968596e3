"""`trellis pipeline run`: requirements -> analysis -> code validation -> plan -> prompts, offline."""
