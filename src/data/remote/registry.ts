// The data sets `loadDataset` knows by name: where to get each file and what it must be.
//
// Every file is pinned by its byte size and SHA-256, so a mirror is trusted for nothing but
// availability: whatever it serves is checked before it is used or cached. The values are those
// of the originally published files (../shared/data/README.md of this project lists the same
// sizes and hashes, and md5 values matching torchvision's).

/** One file of a data set: its name on the server, its exact size and SHA-256 (lower-case hex). */
export interface RemoteFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** An image-classification data set in IDX files (MNIST layout): two images and two labels files. */
export interface RemoteDataset {
  /** Registry key, also the cache folder's name. */
  readonly name: string;
  /** Human-readable name, e.g. "Fashion-MNIST". */
  readonly title: string;
  /**
   * Base URLs the files are fetched from, tried in order: the file name is appended. A mirror that
   * fails (network, HTTP status, size or hash) hands over to the next.
   */
  readonly mirrors: readonly string[];
  readonly trainImages: RemoteFile;
  readonly trainLabels: RemoteFile;
  readonly testImages: RemoteFile;
  readonly testLabels: RemoteFile;
  readonly classes: number;
  readonly classNames?: readonly string[];
  readonly homepage: string;
  readonly license: string;
}

const file = (name: string, bytes: number, sha256: string): RemoteFile => Object.freeze({ name, bytes, sha256 });

const MNIST: RemoteDataset = {
  name: 'mnist',
  title: 'MNIST',
  mirrors: [
    // CVDF's copy of the files yann.lecun.com served (TensorFlow's former default), then the one
    // torchvision uses; both https, byte-identical to the originals.
    'https://storage.googleapis.com/cvdf-datasets/mnist/',
    'https://ossci-datasets.s3.amazonaws.com/mnist/',
  ],
  trainImages: file('train-images-idx3-ubyte.gz', 9_912_422, '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609'),
  trainLabels: file('train-labels-idx1-ubyte.gz', 28_881, '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c'),
  testImages: file('t10k-images-idx3-ubyte.gz', 1_648_877, '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6'),
  testLabels: file('t10k-labels-idx1-ubyte.gz', 4_542, 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6'),
  classes: 10,
  homepage: 'http://yann.lecun.com/exdb/mnist/',
  license: 'CC BY-SA 3.0, Yann LeCun and Corinna Cortes',
};

const FASHION_MNIST: RemoteDataset = {
  name: 'fashion-mnist',
  title: 'Fashion-MNIST',
  mirrors: [
    // Zalando's own bucket (plain http only: S3 website endpoints have no TLS; the hash check
    // makes that safe, but browsers on https pages block it as mixed content and go on to the
    // next), then the copy Keras downloads from.
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
  ],
  trainImages: file('train-images-idx3-ubyte.gz', 26_421_880, '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84'),
  trainLabels: file('train-labels-idx1-ubyte.gz', 29_515, 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845'),
  testImages: file('t10k-images-idx3-ubyte.gz', 4_422_102, '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073'),
  testLabels: file('t10k-labels-idx1-ubyte.gz', 5_148, '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5'),
  classes: 10,
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  homepage: 'https://github.com/zalandoresearch/fashion-mnist',
  license: 'MIT, Zalando SE',
};

function freeze(d: RemoteDataset): RemoteDataset {
  Object.freeze(d.mirrors);
  if (d.classNames) Object.freeze(d.classNames);
  return Object.freeze(d);
}

/** The known data sets, by name. Frozen: a hash cannot be swapped at run time. */
export const DATASETS = Object.freeze({ mnist: freeze(MNIST), 'fashion-mnist': freeze(FASHION_MNIST) });

export type DatasetName = keyof typeof DATASETS;

export const DATASET_NAMES = Object.freeze(Object.keys(DATASETS)) as readonly DatasetName[];

/** The four files of `d` in the order they are fetched. */
export function datasetFiles(d: RemoteDataset): RemoteFile[] {
  return [d.trainImages, d.trainLabels, d.testImages, d.testLabels];
}
