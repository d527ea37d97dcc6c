// nasctl_armnn_runner: runs a .tflite model with Arm NN's TfLite parser on its CpuRef backend, a
// second reader independent of TensorFlow Lite, for the export tests. Built only where Arm NN is
// installed (Debian: libarmnntfliteparser-dev, libarmnn-cpuref-backend22).
//
//   nasctl_armnn_runner MODEL.tflite INPUT.bin OUTPUT.bin
//
// INPUT.bin holds samples of the first input back to back (raw elements of its type); OUTPUT.bin
// gets the first output of every sample. Prints the number of samples; errors exit 1.
#include <armnn/ArmNN.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

namespace {

std::vector<char> read_all(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read ") + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int run(const char* model, const char* input_path, const char* output_path) {
  auto parser = armnnTfLiteParser::ITfLiteParser::Create();
  armnn::INetworkPtr network = parser->CreateNetworkFromBinaryFile(model);
  auto in_name = parser->GetSubgraphInputTensorNames(0).at(0);
  auto out_name = parser->GetSubgraphOutputTensorNames(0).at(0);
  armnnTfLiteParser::BindingPointInfo in = parser->GetNetworkInputBindingInfo(0, in_name);
  armnnTfLiteParser::BindingPointInfo out = parser->GetNetworkOutputBindingInfo(0, out_name);

  armnn::IRuntime::CreationOptions options;
  options.m_DynamicBackendsPath = ARMNN_BACKENDS_DIR;
  armnn::IRuntimePtr runtime = armnn::IRuntime::Create(options);
  armnn::IOptimizedNetworkPtr optimized =
      armnn::Optimize(*network, {armnn::Compute::CpuRef}, runtime->GetDeviceSpec());
  armnn::NetworkId id;
  std::string message;
  if (runtime->LoadNetwork(id, std::move(optimized), message) != armnn::Status::Success) {
    throw std::runtime_error("LoadNetwork failed: " + message);
  }
  std::vector<char> input = read_all(input_path);
  size_t in_bytes = in.second.GetNumBytes(), out_bytes = out.second.GetNumBytes();
  if (input.empty() || input.size() % in_bytes != 0) throw std::runtime_error("input size is not a multiple of one sample");
  size_t samples = input.size() / in_bytes;
  std::vector<char> output(samples * out_bytes);
  for (size_t s = 0; s < samples; ++s) {
    armnn::InputTensors inputs{{in.first, armnn::ConstTensor(in.second, input.data() + s * in_bytes)}};
    armnn::OutputTensors outputs{{out.first, armnn::Tensor(out.second, output.data() + s * out_bytes)}};
    if (runtime->EnqueueWorkload(id, inputs, outputs) != armnn::Status::Success) {
      throw std::runtime_error("EnqueueWorkload failed on sample " + std::to_string(s));
    }
  }
  std::ofstream(output_path, std::ios::binary).write(output.data(), static_cast<std::streamsize>(output.size()));
  std::cout << samples << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: nasctl_armnn_runner MODEL.tflite INPUT.bin OUTPUT.bin\n";
    return 1;
  }
  try {
    return run(argv[1], argv[2], argv[3]);
  } catch (const std::exception& e) {
    std::cerr << "nasctl_armnn_runner: " << e.what() << "\n";
    return 1;
  }
}
