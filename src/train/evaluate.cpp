#include "nasctl/train/evaluate.h"

#include "nasctl/train/distributed.h"

namespace nasctl::train {

torch::Tensor smoothed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels, double smoothing) {
  torch::Tensor log_probs = torch::log_softmax(logits, 1);
  torch::Tensor nll = -log_probs.gather(1, labels.unsqueeze(1)).squeeze(1);
  if (smoothing <= 0) return nll.mean();
  torch::Tensor uniform = -log_probs.mean(1);
  return ((1.0 - smoothing) * nll + smoothing * uniform).mean();
}

int64_t count_top_k(const torch::Tensor& logits, const torch::Tensor& labels, int k) {
  k = std::min<int>(k, static_cast<int>(logits.size(1)));
  torch::Tensor top = std::get<1>(logits.topk(k, 1));
  return top.eq(labels.unsqueeze(1)).any(1).sum().item<int64_t>();
}

EvalResult evaluate(nn::GraphNet& net, data::Loader& loader, const torch::Device& device, int classes,
                    Distributed* dist) {
  bool was_training = net->is_training();
  net->eval();
  torch::NoGradGuard no_grad;
  // Sums kept as tensors so that ranks can add them up in one collective.
  torch::Tensor totals = torch::zeros({3}, torch::kFloat64);  // loss sum, top-1, top-5
  torch::Tensor confusion = torch::zeros({classes, classes}, torch::kInt64);
  loader.start_epoch(0);
  data::Batch batch;
  while (loader.next(batch)) {
    torch::Tensor logits = net->forward(batch.images.to(device)).to(torch::kCPU, torch::kFloat32);
    torch::Tensor labels = batch.labels;
    totals[0] += torch::nn::functional::cross_entropy(logits, labels,
                                                      torch::nn::functional::CrossEntropyFuncOptions().reduction(
                                                          torch::kSum))
                     .item<double>();
    totals[1] += static_cast<double>(count_top_k(logits, labels, 1));
    totals[2] += static_cast<double>(count_top_k(logits, labels, 5));
    torch::Tensor predicted = logits.argmax(1);
    confusion.view({-1}).index_add_(0, labels * classes + predicted, torch::ones_like(labels));
  }
  if (dist) {
    dist->sum({totals});
    dist->sum({confusion});
  }
  net->train(was_training);
  EvalResult r;
  r.samples = confusion.sum().item<int64_t>();
  double n = std::max<double>(static_cast<double>(r.samples), 1.0);
  r.loss = totals[0].item<double>() / n;
  r.top1 = totals[1].item<double>() / n;
  r.top5 = totals[2].item<double>() / n;
  auto c = confusion.accessor<int64_t, 2>();
  r.confusion.assign(classes, std::vector<int64_t>(classes, 0));
  r.class_total.assign(classes, 0);
  r.class_correct.assign(classes, 0);
  for (int t = 0; t < classes; ++t) {
    for (int p = 0; p < classes; ++p) {
      r.confusion[t][p] = c[t][p];
      r.class_total[t] += c[t][p];
    }
    r.class_correct[t] = c[t][t];
  }
  return r;
}

}  // namespace nasctl::train
