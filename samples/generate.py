"""Writes the bundled samples with the real libraries (versions: tests/fixtures/basic/requirements.txt).

tiny-mlp.safetensors: a two-layer torch MLP's state dict, saved by safetensors.torch.
"""
import os

import torch
from safetensors.torch import save_file

torch.manual_seed(0)
mlp = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
here = os.path.dirname(os.path.abspath(__file__))
save_file({k: v.contiguous() for k, v in mlp.state_dict().items()}, os.path.join(here, "tiny-mlp.safetensors"),
          metadata={"format": "pt", "description": "a two-layer MLP, 8 -> 16 -> 4"})
print("wrote samples/tiny-mlp.safetensors")
