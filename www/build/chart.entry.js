// The parts of Chart.js the dashboard draws with, registered once (bundled to www/vendor/chart.js).
import {
  Chart, LineController, BarController, DoughnutController, LineElement, BarElement, PointElement,
  ArcElement, CategoryScale, LinearScale, Filler, Legend, Tooltip,
} from 'chart.js';

Chart.register(
  LineController, BarController, DoughnutController, LineElement, BarElement, PointElement,
  ArcElement, CategoryScale, LinearScale, Filler, Legend, Tooltip,
);

export { Chart };
