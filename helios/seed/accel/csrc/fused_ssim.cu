// SSIM and L1 of [N, H, W, C] float32 images against targets, forward and backward in one kernel each.
//
// Same definition as pytorch_msssim.ssim(X, Y, data_range, size_average=False): an 11-tap
// separable Gaussian window, "valid" filtering (outputs (H - 10) x (W - 10)), the SSIM map
// averaged over pixels and channels per image.  The forward pass keeps, per output pixel, the
// derivatives of the SSIM map with respect to the filtered moments mu_x, E[x^2] and E[xy];
// the backward pass filters them with the same window (the adjoint of the filter) to get
// d(ssim)/d(image).  pytorch_msssim makes ~10 convolution passes and as many intermediate
// images for this; here every block works on one tile in shared memory.
//
// dS/dE[xy] = 2 A1 / (B1 B2);  dS/dE[x^2] = -S / B2;
// dS/dmu_x  = 2 mu_y (A2 - A1) / (B1 B2) + 2 mu_x S (1 / B2 - 1 / B1)
// with A1 = 2 mu_x mu_y + C1, B1 = mu_x^2 + mu_y^2 + C1, A2 = 2 sigma_xy + C2,
// B2 = sigma_x^2 + sigma_y^2 + C2, S = A1 A2 / (B1 B2);
// d(image)(q) = sum over outputs p of w(p - q) [dS/dmu_x(p) + 2 x(q) dS/dE[x^2](p) + y(q) dS/dE[xy](p)].
//
// The L1 term (mean |x - y| over every pixel and channel, as torch.abs(x - y).mean()) rides along:
// the forward pass sums |x - y| over the input pixels each block owns while it loads its tile, the
// backward pass adds sign(x - y) (0 where equal, as PyTorch's abs) times its scale.  A training step
// then makes no separate passes over the images for L1.

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <torch/extension.h>

#include <vector>

namespace {

constexpr int WIN = 11;
constexpr int HALO = WIN - 1;
constexpr int TILE_W = 32;
constexpr int TILE_H = 8;
constexpr int THREADS = TILE_W * TILE_H;
constexpr int MAX_CHANNELS = 4;

struct Window {
  float w[WIN];
};

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

// One block: a TILE_W x TILE_H tile of SSIM outputs of image n, every channel.
// It also owns input pixels for L1: rows [oy0, oy0 + TILE_H) and columns [ox0, ox0 + TILE_W), the last
// block of a row or column everything from there to the image's edge (at most TILE + HALO, so inside its tile).
__global__ void ssim_forward_kernel(const float* __restrict__ x, const float* __restrict__ y, int H, int W, int C,
                                    Window g, float c1, float c2, bool keep_derivatives,
                                    float* __restrict__ d_mu, float* __restrict__ d_xx, float* __restrict__ d_xy,
                                    float* __restrict__ block_sums, float* __restrict__ l1_block_sums) {
  const int Ho = H - HALO, Wo = W - HALO;
  const int n = blockIdx.z;
  const int ox0 = blockIdx.x * TILE_W, oy0 = blockIdx.y * TILE_H;
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * TILE_W + tx;
  const int ox = ox0 + tx, oy = oy0 + ty;
  const bool valid = ox < Wo && oy < Ho;

  __shared__ float sx[TILE_H + HALO][TILE_W + HALO];
  __shared__ float sy[TILE_H + HALO][TILE_W + HALO];
  __shared__ float moments[5][TILE_H + HALO][TILE_W];  // rows filtered along x: x, y, xx, yy, xy
  __shared__ float warp_sums[2][THREADS / 32];
  const int own_rows = blockIdx.y + 1 == gridDim.y ? TILE_H + HALO : TILE_H;
  const int own_cols = blockIdx.x + 1 == gridDim.x ? TILE_W + HALO : TILE_W;

  float ssim_sum = 0.f, l1_sum = 0.f;
  for (int c = 0; c < C; ++c) {
    for (int i = tid; i < (TILE_H + HALO) * (TILE_W + HALO); i += THREADS) {
      const int r = i / (TILE_W + HALO), col = i % (TILE_W + HALO);
      const int gy = oy0 + r, gx = ox0 + col;
      float vx = 0.f, vy = 0.f;
      if (gy < H && gx < W) {
        const size_t at = ((static_cast<size_t>(n) * H + gy) * W + gx) * C + c;
        vx = x[at];
        vy = y[at];
        if (r < own_rows && col < own_cols) l1_sum += fabsf(vx - vy);
      }
      sx[r][col] = vx;
      sy[r][col] = vy;
    }
    __syncthreads();
    for (int i = tid; i < (TILE_H + HALO) * TILE_W; i += THREADS) {
      const int r = i / TILE_W, col = i % TILE_W;
      float mx = 0.f, my = 0.f, mxx = 0.f, myy = 0.f, mxy = 0.f;
#pragma unroll
      for (int k = 0; k < WIN; ++k) {
        const float w = g.w[k], a = sx[r][col + k], b = sy[r][col + k];
        mx += w * a;
        my += w * b;
        mxx += w * (a * a);
        myy += w * (b * b);
        mxy += w * (a * b);
      }
      moments[0][r][col] = mx;
      moments[1][r][col] = my;
      moments[2][r][col] = mxx;
      moments[3][r][col] = myy;
      moments[4][r][col] = mxy;
    }
    __syncthreads();
    if (valid) {
      float mx = 0.f, my = 0.f, exx = 0.f, eyy = 0.f, exy = 0.f;
#pragma unroll
      for (int k = 0; k < WIN; ++k) {
        const float w = g.w[k];
        mx += w * moments[0][ty + k][tx];
        my += w * moments[1][ty + k][tx];
        exx += w * moments[2][ty + k][tx];
        eyy += w * moments[3][ty + k][tx];
        exy += w * moments[4][ty + k][tx];
      }
      const float mx2 = mx * mx, my2 = my * my, mxy = mx * my;
      const float a1 = 2.f * mxy + c1, b1 = mx2 + my2 + c1;
      const float a2 = 2.f * (exy - mxy) + c2, b2 = (exx - mx2) + (eyy - my2) + c2;
      const float s = (a1 / b1) * (a2 / b2);
      ssim_sum += s;
      if (keep_derivatives) {
        const size_t at = ((static_cast<size_t>(n) * C + c) * Ho + oy) * Wo + ox;
        const float inv = 1.f / (b1 * b2);
        d_mu[at] = 2.f * my * (a2 - a1) * inv + 2.f * mx * s * (1.f / b2 - 1.f / b1);
        d_xx[at] = -s / b2;
        d_xy[at] = 2.f * a1 * inv;
      }
    }
    __syncthreads();  // the next channel overwrites the shared tiles
  }
  // Fixed-order reduction: the same sums every run.
  ssim_sum = warp_sum(ssim_sum);
  l1_sum = warp_sum(l1_sum);
  if (tid % 32 == 0) {
    warp_sums[0][tid / 32] = ssim_sum;
    warp_sums[1][tid / 32] = l1_sum;
  }
  __syncthreads();
  if (tid == 0) {
    float total = 0.f, l1_total = 0.f;
    for (int i = 0; i < THREADS / 32; ++i) {
      total += warp_sums[0][i];
      l1_total += warp_sums[1][i];
    }
    const size_t at = static_cast<size_t>(n) * gridDim.x * gridDim.y + blockIdx.y * gridDim.x + blockIdx.x;
    block_sums[at] = total;
    l1_block_sums[at] = l1_total;
  }
}

// One block: a TILE_W x TILE_H tile of input pixels of image n, every channel.
__global__ void ssim_backward_kernel(const float* __restrict__ x, const float* __restrict__ y,
                                     const float* __restrict__ d_mu, const float* __restrict__ d_xx,
                                     const float* __restrict__ d_xy, const float* __restrict__ scale,
                                     const float* __restrict__ l1_scale, int H, int W, int C, Window g,
                                     float* __restrict__ grad_x) {
  const int Ho = H - HALO, Wo = W - HALO;
  const int n = blockIdx.z;
  const int qx0 = blockIdx.x * TILE_W, qy0 = blockIdx.y * TILE_H;
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * TILE_W + tx;
  const int qx = qx0 + tx, qy = qy0 + ty;
  const bool inside = qx < W && qy < H;

  __shared__ float sd[3][TILE_H + HALO][TILE_W + HALO];  // derivative maps, rows qy0 - HALO .., cols qx0 - HALO ..
  __shared__ float filtered[3][TILE_H + HALO][TILE_W];
  const float* maps[3] = {d_mu, d_xx, d_xy};

  float out[MAX_CHANNELS];
  for (int c = 0; c < C; ++c) {
    const size_t plane = (static_cast<size_t>(n) * C + c) * Ho * Wo;
    for (int i = tid; i < (TILE_H + HALO) * (TILE_W + HALO); i += THREADS) {
      const int r = i / (TILE_W + HALO), col = i % (TILE_W + HALO);
      const int oy = qy0 - HALO + r, ox = qx0 - HALO + col;
      const bool in_map = oy >= 0 && oy < Ho && ox >= 0 && ox < Wo;
      const size_t at = plane + static_cast<size_t>(in_map ? oy : 0) * Wo + (in_map ? ox : 0);
#pragma unroll
      for (int m = 0; m < 3; ++m) sd[m][r][col] = in_map ? maps[m][at] : 0.f;
    }
    __syncthreads();
    for (int i = tid; i < (TILE_H + HALO) * TILE_W; i += THREADS) {
      const int r = i / TILE_W, col = i % TILE_W;
#pragma unroll
      for (int m = 0; m < 3; ++m) {
        float acc = 0.f;
#pragma unroll
        for (int k = 0; k < WIN; ++k) acc += g.w[HALO - k] * sd[m][r][col + k];
        filtered[m][r][col] = acc;
      }
    }
    __syncthreads();
    if (inside) {
      float f[3] = {0.f, 0.f, 0.f};
#pragma unroll
      for (int m = 0; m < 3; ++m) {
#pragma unroll
        for (int k = 0; k < WIN; ++k) f[m] += g.w[HALO - k] * filtered[m][ty + k][tx];
      }
      const size_t at = ((static_cast<size_t>(n) * H + qy) * W + qx) * C + c;
      const float xv = x[at], yv = y[at];
      const float sign = xv > yv ? 1.f : (xv < yv ? -1.f : 0.f);
      out[c] = scale[n] * (f[0] + 2.f * xv * f[1] + yv * f[2]) + l1_scale[n] * sign;
    }
    __syncthreads();
  }
  if (inside) {
    const size_t at = ((static_cast<size_t>(n) * H + qy) * W + qx) * C;
    for (int c = 0; c < C; ++c) grad_x[at + c] = out[c];
  }
}

void check_images(const torch::Tensor& t, const char* name) {
  TORCH_CHECK(t.is_cuda(), name, " must be a CUDA tensor");
  TORCH_CHECK(t.scalar_type() == torch::kFloat32, name, " must be float32");
  TORCH_CHECK(t.dim() == 4, name, " must be [N, H, W, C]");
  TORCH_CHECK(t.is_contiguous(), name, " must be contiguous");
}

Window to_window(const std::vector<double>& window) {
  TORCH_CHECK(window.size() == WIN, "the SSIM window must have ", WIN, " taps");
  Window g;
  for (int k = 0; k < WIN; ++k) g.w[k] = static_cast<float>(window[k]);
  return g;
}

}  // namespace

// Returns {per-block SSIM sums [N, blocks], per-block sums of |x - y| [N, blocks], d/dmu_x, d/dE[x^2], d/dE[xy]
// (each [N, C, H - 10, W - 10], empty unless keep_derivatives)}.
std::vector<torch::Tensor> ssim_forward(const torch::Tensor& x, const torch::Tensor& y, const std::vector<double>& window,
                                        double c1, double c2, bool keep_derivatives) {
  check_images(x, "images");
  check_images(y, "target");
  TORCH_CHECK(x.sizes() == y.sizes(), "images and target must have the same shape");
  const int N = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3);
  TORCH_CHECK(H >= WIN && W >= WIN, "images must be at least ", WIN, " pixels on each side");
  TORCH_CHECK(C >= 1 && C <= MAX_CHANNELS, "images must have 1 to ", MAX_CHANNELS, " channels");
  const c10::cuda::CUDAGuard guard(x.device());
  const int Ho = H - HALO, Wo = W - HALO;
  const dim3 blocks((Wo + TILE_W - 1) / TILE_W, (Ho + TILE_H - 1) / TILE_H, N);
  auto options = x.options();
  auto block_sums = torch::empty({N, static_cast<int64_t>(blocks.x) * blocks.y}, options);
  auto l1_block_sums = torch::empty_like(block_sums);
  auto shape = keep_derivatives ? std::vector<int64_t>{N, C, Ho, Wo} : std::vector<int64_t>{0};
  auto d_mu = torch::empty(shape, options), d_xx = torch::empty(shape, options), d_xy = torch::empty(shape, options);
  if (N == 0) return {block_sums, l1_block_sums, d_mu, d_xx, d_xy};
  ssim_forward_kernel<<<blocks, dim3(TILE_W, TILE_H), 0, at::cuda::getCurrentCUDAStream()>>>(
      x.data_ptr<float>(), y.data_ptr<float>(), H, W, C, to_window(window), static_cast<float>(c1),
      static_cast<float>(c2), keep_derivatives, d_mu.data_ptr<float>(), d_xx.data_ptr<float>(), d_xy.data_ptr<float>(),
      block_sums.data_ptr<float>(), l1_block_sums.data_ptr<float>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return {block_sums, l1_block_sums, d_mu, d_xx, d_xy};
}

// d(sum_n scale[n] * ssim_sum[n] + l1_scale[n] * l1_sum[n]) / d(images), where ssim_sum[n] is image n's summed
// SSIM map and l1_sum[n] its summed |x - y|.
torch::Tensor ssim_backward(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& d_mu,
                            const torch::Tensor& d_xx, const torch::Tensor& d_xy, const torch::Tensor& scale,
                            const torch::Tensor& l1_scale, const std::vector<double>& window) {
  check_images(x, "images");
  check_images(y, "target");
  const int N = x.size(0), H = x.size(1), W = x.size(2), C = x.size(3);
  for (const auto* t : {&d_mu, &d_xx, &d_xy}) {
    TORCH_CHECK(t->is_contiguous() && t->dim() == 4 && t->size(0) == N && t->size(1) == C &&
                    t->size(2) == H - HALO && t->size(3) == W - HALO,
                "derivative maps must be [N, C, H - 10, W - 10]");
  }
  for (const auto* t : {&scale, &l1_scale}) {
    TORCH_CHECK(t->is_cuda() && t->is_contiguous() && t->numel() == N && t->scalar_type() == torch::kFloat32,
                "scales must be float32 CUDA tensors of N values");
  }
  const c10::cuda::CUDAGuard guard(x.device());
  auto grad = torch::empty_like(x);
  if (N == 0) return grad;
  const dim3 blocks((W + TILE_W - 1) / TILE_W, (H + TILE_H - 1) / TILE_H, N);
  ssim_backward_kernel<<<blocks, dim3(TILE_W, TILE_H), 0, at::cuda::getCurrentCUDAStream()>>>(
      x.data_ptr<float>(), y.data_ptr<float>(), d_mu.data_ptr<float>(), d_xx.data_ptr<float>(),
      d_xy.data_ptr<float>(), scale.data_ptr<float>(), l1_scale.data_ptr<float>(), H, W, C, to_window(window),
      grad.data_ptr<float>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return grad;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("forward", &ssim_forward, "SSIM and |x - y| sums per block, and SSIM's derivatives with respect to the moments");
  m.def("backward", &ssim_backward, "gradient of the SSIM and |x - y| sums with respect to the images");
}
