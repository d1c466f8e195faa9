"""The script a user would write around PyTorch: load the .npy files, compute, print the mean.

python bench/torch_script.py categorical preds.npy labels.npy
python bench/torch_script.py binary logits.npy targets.npy

uint16/int16 logits are bfloat16 bits, as bench/run.py writes them.
"""

import sys

import numpy as np
import torch
import torch.nn.functional as F

command, preds, labels = sys.argv[1:4]
x = torch.from_numpy(np.load(preds))
if x.dtype in (torch.uint16, torch.int16):  # a bfloat16 bit dump (tensor.view(torch.uint16))
    x = x.view(torch.bfloat16)
y = torch.from_numpy(np.load(labels))
with torch.no_grad():
    if command == "binary":
        loss = F.binary_cross_entropy_with_logits(x.float(), y.float())
    else:
        loss = F.cross_entropy(x.reshape(-1, x.shape[-1]).float(), y.reshape(-1))
print(float(loss))
