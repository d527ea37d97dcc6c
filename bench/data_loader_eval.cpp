// The nasctl side of bench/data_loader.sh: data::Loader over an ImageFolder with the transforms of
// bench/data_loader_reference.py. Prints one line per timed epoch:
//   "nasctl MODE workers=W epoch=E images=N seconds=S"
//
//   data_loader_eval DATA [--workers 2] [--mode train|eval] [--epochs 3] [--batch-size 64] [--input-size 224]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "nasctl/nn/runtime.h"
#include "nasctl/data/loader.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATA [--workers N] [--mode train|eval] [--epochs N] [--batch-size N] [--input-size N]\n", argv[0]);
    return 2;
  }
  std::string data = argv[1], mode = "train";
  int workers = 1, epochs = 3, batch_size = 64, input_size = 224;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--workers") workers = std::atoi(value);
    else if (flag == "--mode") mode = value;
    else if (flag == "--epochs") epochs = std::atoi(value);
    else if (flag == "--batch-size") batch_size = std::atoi(value);
    else if (flag == "--input-size") input_size = std::atoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  try {
    nasctl::set_compute_threads(1);
    using namespace nasctl::data;
    auto dataset = open_dataset(data, Split::kTrain);
    LoaderOptions options;
    options.batch_size = batch_size;
    options.workers = workers;
    options.transform.input_size = input_size;
    options.transform.train = mode == "train";  // train: random-resized-crop + flip; eval: resize + center crop
    Loader loader(dataset, options);
    for (int epoch = 0; epoch <= epochs; ++epoch) {  // epoch 0 warms up (threads, file cache)
      const auto start = std::chrono::steady_clock::now();
      loader.start_epoch(epoch);
      Batch batch;
      int64_t images = 0;
      while (loader.next(batch)) images += batch.size();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (epoch > 0)
        std::printf("nasctl %s workers=%d epoch=%d images=%lld seconds=%.4f\n", mode.c_str(), workers, epoch,
                    static_cast<long long>(images), seconds);
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "data_loader_eval: %s\n", e.what());
    return 1;
  }
  return 0;
}
