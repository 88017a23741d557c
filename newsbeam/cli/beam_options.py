"""Checking the Beam options a command hands on, before anything runs."""
from __future__ import annotations

JOB_SERVICE_TIMEOUT = 10  # seconds to wait for a job service's list of its options


def unknown_beam_options(beam_args: list[str]) -> list[str]:
    """Flags Beam would silently discard (usually typos)."""
    from apache_beam.options.pipeline_options import PipelineOptions

    from newsbeam.pipelines.runner import TYPE_CHECK

    known = set(PipelineOptions([]).get_all_options(drop_default=False))
    flags = [a.split("=", 1)[0] for a in beam_args if a.startswith("--") and a != TYPE_CHECK]
    return [f for f in flags if f[2:].replace("-", "_") not in known]


def job_service_options(beam_args: list[str]) -> set[str] | str:
    """The names of the options the job service at ``--job_endpoint`` declares (its
    runner's own, e.g. Flink's ``--checkpointing_interval``: Java options the Python SDK
    does not know), or one line saying why it could not be asked. Beam's PortableRunner
    asks the same question when it submits and passes those options on."""
    import grpc
    from apache_beam.options.pipeline_options import PipelineOptions, PortableOptions
    from apache_beam.portability.api import beam_job_api_pb2, beam_job_api_pb2_grpc

    endpoint = PipelineOptions(beam_args).view_as(PortableOptions).job_endpoint
    if not endpoint or endpoint == "embed":
        return set()
    try:
        with grpc.insecure_channel(endpoint) as channel:
            grpc.channel_ready_future(channel).result(timeout=JOB_SERVICE_TIMEOUT)
            described = beam_job_api_pb2_grpc.JobServiceStub(channel).DescribePipelineOptions(
                beam_job_api_pb2.DescribePipelineOptionsRequest(),
                timeout=JOB_SERVICE_TIMEOUT)
    except (grpc.RpcError, grpc.FutureTimeoutError) as err:
        return f"the job service at {endpoint} does not answer: {type(err).__name__}"
    return {option.name for option in described.options}


def beam_options_problem(beam_args: list[str]) -> str | None:
    """One line on what is wrong with ``beam_args`` (an unknown runner or option), or None.

    The named runner is loaded first: its module declares the runner's own options. Options
    Python's Beam does not know are asked of the job service, when one is named."""
    from newsbeam.pipelines.runner import UnknownRunner, load_runner

    try:
        load_runner(beam_args)
    except UnknownRunner as err:
        return str(err)
    unknown = unknown_beam_options(beam_args)
    if unknown:
        declared = job_service_options(beam_args)
        if isinstance(declared, str):
            return (f"unknown option {unknown[0]} (not Python Beam's; {declared}, "
                    "so its runner's own options are not known)")
        unknown = [flag for flag in unknown if flag[2:].replace("-", "_") not in declared]
    return f"unknown option {unknown[0]}" if unknown else None
